"""Personal data: encryption at rest, keyed hashes for lookup, masks for display and logs.

Keys are derived from DATA_KEY, so changing DATA_KEY makes stored data unreadable: back it up.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

_ID_LIKE = re.compile(r"\d{17}[\dXx](?:\d{2})?(?:B\d*)?")
_PHONE_LIKE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


@lru_cache(maxsize=8)
def _keys(data_key: str) -> tuple[Fernet, bytes]:
    # Two independent keys from one secret: one encrypts, one hashes for lookups.
    enc = hashlib.sha256(b"wxbot-encrypt:" + data_key.encode()).digest()
    mac = hashlib.sha256(b"wxbot-lookup:" + data_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(enc)), mac


def encrypt(data_key: str, value: str | None) -> str | None:
    if value in (None, ""):
        return None
    return _keys(data_key)[0].encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(data_key: str, token: str | None) -> str | None:
    if not token:
        return None
    try:
        return _keys(data_key)[0].decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return None


def lookup_hash(data_key: str, value: str) -> str:
    """Keyed hash of a normalised identifier: equal inputs match, the DB alone reveals nothing."""
    normal = value.strip().upper()
    return hmac.new(_keys(data_key)[1], normal.encode("utf-8"), hashlib.sha256).hexdigest()


def key_check_value(data_key: str) -> str:
    """A keyed fingerprint of DATA_KEY, stored in the database: a start with another key is refused."""
    return hmac.new(_keys(data_key)[1], b"wxbot-data-key-check", hashlib.sha256).hexdigest()[:32]


def mask_id(number: str | None) -> str:
    """3303**********1X42: first 4 and last 4 kept (certificate numbers keep their suffix)."""
    if not number:
        return ""
    n = number.strip()
    if len(n) <= 8:
        return "*" * len(n)
    return n[:4] + "*" * (len(n) - 8) + n[-4:]


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    p = phone.strip()
    return p[:3] + "****" + p[-4:] if len(p) >= 11 else "*" * max(0, len(p) - 4) + p[-4:]


def mask_name(name: str | None) -> str:
    """张三 → 张*, 欧阳小明 → 欧***: enough for a resident to recognise, little for a stranger."""
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_SPACED_DIGITS = re.compile(r"(?:\d[\s\-]*){11,}[\dXx]?")


def scrub(text: str) -> str:
    """Masks anything that looks like an ID/certificate or mobile number (for logs and the message log).

    Full-width digits are folded first (nothing else: punctuation stays as written), and runs of 11+ digits typed with spaces or dashes
    ("3303 2719 …") are masked too, since residents type numbers in groups.
    """
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _ID_LIKE.sub(lambda m: mask_id(m.group(0)), text)
    text = _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)
    return _SPACED_DIGITS.sub(lambda m: mask_id(re.sub(r"[\s\-]", "", m.group(0))), text)
