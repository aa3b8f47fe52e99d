"""Personal data: encryption at rest, keyed hashes for lookup, masks for display and logs.

Keys are derived from DATA_KEY, so changing DATA_KEY makes stored data unreadable: back it up.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

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


# Every way a digit reaches us: ASCII, full-width, and Chinese as typed or dictated (幺 and 两 are how
# people say 1 and 2 when reading out a number; 壹贰… are the financial forms).
DIGITS = {**{c: str(i) for i, c in enumerate("０１２３４５６７８９")},
          **{c: str(i) for i, c in enumerate("零一二三四五六七八九")},
          **{c: str(i + 1) for i, c in enumerate("壹贰叁肆伍陆柒捌玖")}, "〇": "0", "幺": "1", "两": "2"}
_DIGIT = "[0-9" + "".join(DIGITS) + "]"
_SEP = r"[\s\-－—–_,，、]{0,2}"  # groups typed "138 1234 5678" or dictated "一三八，一二三四…"
_RUN = re.compile(f"{_DIGIT}(?:{_SEP}{_DIGIT})*(?:{_SEP}[XxＸ叉](?:{_DIGIT}{{2}})?)?(?:B[0-9]*)?")
MIN_RUN = 11  # a mobile number; shorter numbers (回复 1, 2024年3月, 1200元, 三级) are what people talk about


def fold_digits(text: str) -> str:
    """Digits in any script as ASCII digits; 叉/Ｘ (a dictated or full-width X) as X."""
    return "".join(DIGITS.get(c, c) for c in text).replace("叉", "X").replace("Ｘ", "X")


def _mask_run(match: re.Match, min_run: int) -> str:
    number = re.sub(r"[^0-9XxB]", "", fold_digits(match.group(0)))
    if sum(c.isdigit() for c in number) < min_run:
        return match.group(0)
    if len(number) == 11 and number.startswith("1"):
        return mask_phone(number)
    return mask_id(number.upper())


def scrub(text: str, min_run: int = MIN_RUN) -> str:
    """Masks every ID/certificate, mobile or bank-card-like number in free text (stored, shown, logged).

    A number counts whatever its script and however it is grouped: "3303 2619…", "１３８…",
    "三三零三二六…", "幺三八…"; runs of fewer than min_run digits stay as written.
    """
    if not text:
        return text
    return _RUN.sub(lambda m: _mask_run(m, min_run), text)


def scrub_all(value):
    """scrub() applied to every string inside a JSON-like value (the matcher's explain, task results)."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: scrub_all(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_all(v) for v in value]
    return value


def install_log_scrubbing() -> None:
    """Every log record, whichever logger or handler it reaches (gunicorn's, pytest's), is scrubbed
    when it is made: message, arguments and traceback. Idempotent; called at process start-up."""
    base = logging.getLogRecordFactory()
    if getattr(base, "scrubs", False):
        return

    def make(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's own error to report
            return record
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    make.scrubs = True
    logging.setLogRecordFactory(make)
