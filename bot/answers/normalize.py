"""Light text normalisation shared by the router and the matcher."""
from __future__ import annotations

import re
import unicodedata

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
