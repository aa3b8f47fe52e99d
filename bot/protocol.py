"""WeChat callback security: signatures (constant time), AES decrypt/encrypt via wechatpy."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.config import Settings
from bot.inbound import MalformedMessage, parse_xml


class BadSignature(Exception):
    """The request was not signed with our token."""


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

    def decode(self, args, body: bytes) -> tuple[bytes | str, bool]:
        """Return (plain XML, encrypted?) after checking the right signature."""
        if args.get("encrypt_type", "raw").lower() != "aes":
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
