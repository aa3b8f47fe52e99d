"""Toneless pinyin, the one way bot/ calls pypinyin. Importing this module loads nothing.

Who compares sounds: the matcher (bot/answers/matcher/text.py, one reading per Han character),
fuzzy commands in the router (bot/answers/normalize.pinyin_key), the distress and complaint words
(bot/safety/detect.py) and job search (bot/jobs/search.py). Each puts the same function on both
sides of a comparison, so homophones typed or dictated ("残积" for "残疾") meet their word.

How pypinyin loads, decided here on the first call rather than when `bot` is imported:
- PYPINYIN_NO_PHRASES=1: skip the phrase dictionary (~44 MB per process). Readings of single
  characters are what every caller above compares, and the evaluation sets score the same without
  it. Set PYPINYIN_NO_PHRASES= (empty) in the environment to load it again.
- PYPINYIN_NO_DICT_COPY=1: pypinyin otherwise keeps a second copy of its dictionaries so that
  callers may change them; nobody here does.
Both are set with setdefault, so an operator's own value wins. They only take effect if pypinyin
is not imported yet, which is why every use goes through this module.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Callable


@lru_cache(maxsize=None)
def _lazy_pinyin() -> Callable[..., list[str]]:
    """pypinyin's lazy_pinyin, imported on the first call with the settings above."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
    from pypinyin import lazy_pinyin  # why: the variables above must be set before pypinyin loads
    return lazy_pinyin


def syllables(text: str, errors="default") -> list[str]:
    """Toneless syllables of text ("残疾" → ["can", "ji"]); a run without a reading ("app", "12385")
    stays one item. errors is pypinyin's (what to return for such a run)."""
    return _lazy_pinyin()(text, errors=errors)
