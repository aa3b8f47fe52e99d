"""Light text normalisation shared by the router and the matcher."""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import Callable

from bot.answers.pinyin import syllables

_PUNCT_SPACE = re.compile(r"[\s\u3000~`!@#$%^&*()\-_=+\[\]{}|\\;:'\",.<>/?·！￥…（）—【】、；：‘’“”，。《》？]+")
# WeChat renders emoticons as codes like [微笑] or /::) in the text
_WECHAT_EMOTICON = re.compile(r"\[[\u4e00-\u9fa5A-Za-z]{1,6}\]|/:[^\s]{1,6}")
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200d]")


def nfkc(text: str) -> str:
    """Full-width → half-width, compatibility forms folded, lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


def strip_emoji(text: str) -> str:
    return _EMOJI.sub("", _WECHAT_EMOTICON.sub("", text))


def simplified(text: str) -> str:
    """Traditional characters as simplified ("殘疾證" → "残疾证"), with zhconv's mainland table."""
    return _zhconv()(text, "zh-cn")


@lru_cache(maxsize=None)
def _zhconv() -> Callable[[str, str], str]:
    """zhconv.convert, imported on the first call. zhconv imports pkg_resources only to open its own
    JSON file, and that import scans every installed package: 0.2 s and 12 MB of each worker. With
    pkg_resources hidden for that one import, zhconv opens the file by its path instead."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # "import pkg_resources" fails
    try:
        import zhconv  # why: imported with pkg_resources hidden (see above)
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    return zhconv.convert


# A pick from a numbered list, typed or dictated ("６", "六" → "6"); 零/两/幺 are not list numbers.
_PICK_DIGITS = str.maketrans("０１２３４５６７８９一二三四五六七八九", "0123456789123456789")


def pick_digits(word: str) -> str:
    """Digits of a numbered pick as ASCII ("第六" → "第6"); other characters unchanged."""
    return word.translate(_PICK_DIGITS)


def compact(text: str) -> str:
    """For command matching: no emoji, punctuation or spaces ("取 消!" → "取消")."""
    return _PUNCT_SPACE.sub("", strip_emoji(nfkc(text)))


def pinyin_key(text: str) -> str:
    """Toneless pinyin syllables, space-separated: homophones typed or dictated compare equal."""
    return " ".join(syllables(compact(text)))
