"""The booking side of registration: only bot.people.api's public functions, looked up lazily.

Registration is a separate capability; until it is installed, nobody counts as registered and the
booking entry says so politely instead of failing.
"""
from __future__ import annotations

import importlib
import logging

from bot.reply import Reply

log = logging.getLogger(__name__)


def _api():
    try:
        return importlib.import_module("bot.people.api")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bot.people", "bot.people.api"):
            raise
        return None


def registered_person(session, data_key: str, openid: str):
    """bot.people.api.Person or None."""
    api = _api()
    return api.registered_person(session, data_key, openid) if api else None


def resident_key(person, openid: str) -> str:
    """Who "one active booking per resident" counts: the person when registration exposes a stable
    key for them (family members linked to one resident share it), else the WeChat user."""
    key = getattr(person, "key", None) or getattr(person, "person_key", None)
    return f"p:{key}"[:80] if key else f"wx:{openid}"


def save_address(session, data_key: str, openid: str, address: str) -> None:
    """Remember a newly typed address in the registration, so the next booking offers it."""
    api = _api()
    if api is not None and hasattr(api, "set_address"):
        api.set_address(session, data_key, openid, address)


def key_for(ctx) -> str:
    return resident_key(registered_person(ctx.session, ctx.settings.data_key, ctx.openid), ctx.openid)


def start_registration(ctx, then: str | None = None) -> Reply:
    """Registration inline; `then` brings the resident back to the booking entry afterwards."""
    api = _api()
    if api is None:
        log.warning("booking asked for registration, but bot.people is not installed")
        return Reply(text="预约上门评残要先注册，注册功能暂时还没有开通。\n" + ctx.local.way_out(),
                     meta={"kind": "fallback"})
    return api.start_registration(ctx, then=then)


def details(ctx, person):
    """The booking snapshot from the registration and what the flow collected (encrypted in its data)."""
    from bot.booking.service import Details
    from bot.pii import decrypt

    key, data = ctx.settings.data_key, ctx.data
    return Details(resident_key=resident_key(person, ctx.openid), name=person.name,
                   id_masked=person.id_masked,
                   phone=decrypt(key, data["phone_enc"]), address=decrypt(key, data["address_enc"]),
                   town=data["town"], category=data.get("category"), reason=data["reason"],
                   reason_note=data.get("reason_note"), registration_id=person.registration_id,
                   person_key=identity_key(person), id_verified=getattr(person, "person_key", None) is not None)


def identity_key(person) -> str | None:
    """The person by ID number, linked to the registry or not (one active booking per person)."""
    return getattr(person, "identity_key", None)
