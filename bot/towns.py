"""The county's towns (knowledge/towns.yaml) and tolerant matching of what residents type or say."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.normalize import compact, pinyin_key


@lru_cache(maxsize=4)
def _load(path: str, _mtime: float) -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
    return tuple((t["name"], tuple(t.get("aliases") or ())) for t in data.get("towns", []))


def towns(knowledge_dir: str) -> list[str]:
    return [name for name, _ in _entries(knowledge_dir)]


def _entries(knowledge_dir: str):
    path = Path(knowledge_dir) / "towns.yaml"
    return _load(str(path), path.stat().st_mtime) if path.exists() else ()


def match_town(knowledge_dir: str, said: str) -> str | None:
    """'鳌江' / '敖江' / 'aojiang' / '我住在鳌江镇那边' → '鳌江镇'; None when unsure."""
    text = compact(said)
    if not text:
        return None
    entries = _entries(knowledge_dir)
    for name, aliases in entries:  # the name or an alias inside the sentence
        if any(word in text for word in (name, *aliases)):
            return name
    spoken = pinyin_key(text).replace(" ", "")
    for name, aliases in entries:  # dictated homophones
        if any(pinyin_key(word).replace(" ", "") in spoken for word in (name, *aliases) if len(word) >= 2):
            return name
    return None
