"""The booking side of registration: only bot.people.api's public functions."""
from __future__ import annotations

import logging

from bot.booking.service import Details
from bot.people import api
from bot.privacy.pii import decrypt
from bot.wechat.reply import Reply

log = logging.getLogger(__name__)


def registered_person(session, data_key: str, openid: str):
    """bot.people.api.Person or None."""
    return api.registered_person(session, data_key, openid)


def resident_key(person, openid: str) -> str:
    """Who "one active booking per resident" counts: the person when registration exposes a stable
    key for them (family members linked to one resident share it), else the WeChat user."""
    key = getattr(person, "key", None) or getattr(person, "person_key", None)
    return f"p:{key}"[:80] if key else f"wx:{openid}"


def save_address(session, data_key: str, openid: str, address: str) -> None:
    """Remember a newly typed address in the registration, so the next booking offers it."""
    api.set_address(session, data_key, openid, address)


def key_for(ctx) -> str:
    return resident_key(registered_person(ctx.session, ctx.settings.data_key, ctx.openid), ctx.openid)


def start_registration(ctx, then: str | None = None) -> Reply:
    """Registration inline; `then` brings the resident back to the booking entry afterwards."""
    return api.start_registration(ctx, then=then)


def details(ctx, person):
    """The booking snapshot from the registration and what the flow collected (encrypted in its data)."""

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
