"""WeChat callback security: signatures (constant time), AES decrypt/encrypt via wechatpy, safe mode,
timestamp window and replayed signatures.

Replays: `signature` covers only token+timestamp+nonce, so a (timestamp, nonce) seen once must not carry
another message. A re-delivery of the same message with the same nonce is no attack: it is let through
and the engine answers it from dedup without doing anything again. (WeChat's retries normally come with
a new nonce and timestamp; either way they pass.)"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.config import Settings
from bot.wechat.inbound import MalformedMessage, parse_xml


MAX_CLOCK_SKEW_SECONDS = 300  # WeChat's timestamp must be within ±5 minutes of ours
NONCE_KEEP_SECONDS = 600  # purged after this (privacy.retention.purge_inbound); longer than the skew window


class BadSignature(Exception):
    """The request was not signed with our token (or is stale, replayed, or plaintext in safe mode)."""


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()


def verify(expected_parts: tuple[str, ...], given: str | None) -> None:
    if not given or not hmac.compare_digest(sign(*expected_parts), given.lower()):
        raise BadSignature()


class CallbackCodec:
    """Decodes one callback body (plain or AES) and encodes the reply the same way."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.crypto = (WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)
                       if settings.wechat_aes_key else None)

    def check_url_signature(self, args) -> None:
        verify((self.settings.wechat_token, args.get("timestamp", ""), args.get("nonce", "")),
               args.get("signature"))

    def check_timestamp(self, args, now: float | None = None) -> None:
        try:
            stamp = int(args.get("timestamp", ""))
        except ValueError as exc:
            raise BadSignature("no timestamp") from exc
        if abs((time.time() if now is None else now) - stamp) > MAX_CLOCK_SKEW_SECONDS:
            raise BadSignature("timestamp outside ±5 minutes")

    def decode(self, args, body: bytes) -> tuple[bytes | str, bool]:
        """Return (plain XML, encrypted?) after checking the right signature and the timestamp."""
        self.check_timestamp(args)
        if args.get("encrypt_type", "raw").lower() != "aes":
            if self.crypto is not None and not self.settings.wechat_compat_mode:
                raise BadSignature("plaintext body in safe mode")  # its signature does not cover the body
            self.check_url_signature(args)
            return body, False
        if self.crypto is None:
            raise BadSignature()  # we were never given an EncodingAESKey
        root = parse_xml(body)
        encrypted = root.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise MalformedMessage("no Encrypt element")
        # The body is signed by msg_signature over the ciphertext, not by `signature`.
        verify((self.settings.wechat_token, args.get("timestamp", ""), args.get("nonce", ""), encrypted),
               args.get("msg_signature"))
        try:
            plain = self.crypto.decrypt_message({"Encrypt": encrypted}, args.get("msg_signature"),
                                                args.get("timestamp", ""), args.get("nonce", ""))
        except InvalidAppIdException as exc:
            raise BadSignature() from exc
        except Exception as exc:  # bad base64, padding, length
            raise MalformedMessage(f"cannot decrypt: {exc.__class__.__name__}") from exc
        return plain, True

    def encode(self, xml: str, encrypted: bool, nonce: str | None = None) -> str:
        if not encrypted or not xml:
            return xml
        return self.crypto.encrypt_message(xml, nonce or secrets.token_hex(8), str(int(time.time())))


def replay_key(args) -> tuple[str, str]:
    """(nonce, timestamp) of a callback, as remembered; BadSignature without a nonce."""
    nonce, stamp = args.get("nonce", "")[:64], args.get("timestamp", "")[:16]
    if not nonce:
        raise BadSignature("no nonce")
    return nonce, stamp
