"""Who a notice goes to: audiences, the WeChat tags behind them, and the providers features declare.

Audiences: "all" (mass send to every follower), "town:NAME" (tag from Follower.town), "registered" and
"subscribers" (tags whose members features provide), "round:ID" and other "prefix:arg" audiences of
individual residents. Features declare providers as data, read here at call time:

    Feature(..., tag_audiences={"registered": registered_openids}, audiences={"round": round_audience})
"""
from __future__ import annotations

import logging
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.engine import features
from bot.db import utcnow
from bot.engine.features import AudienceProvider, TagProvider
from bot.models import Follower
from bot.outbox.models import WeChatTag
from bot.wechat.errors import PermanentError

log = logging.getLogger(__name__)
# Audience → WeChat tag name (what staff also see in the 公众平台 back office).
TAG_NAMES = {"registered": "已注册居民", "subscribers": "岗位订阅"}
TOWN_TAG_PREFIX = "乡镇-"
def _tag_providers(extra: dict[str, TagProvider] | None = None) -> dict[str, TagProvider]:
    """Tag audience → openids provider, as the installed features declare them (plus `extra`)."""
    return {**features.installed().tag_audiences, **(extra or {})}


def _list_providers() -> dict[str, AudienceProvider]:
    """"prefix:arg" audience prefix (e.g. "round") → provider of individual openids."""
    return features.installed().audiences


def tag_name(audience: str, tags: dict[str, TagProvider] | None = None) -> str | None:
    """The WeChat tag behind a tag audience; None for "all" and per-resident audiences."""
    if audience.startswith("town:"):
        return (TOWN_TAG_PREFIX + audience[5:])[:30]
    tags = _tag_providers() if tags is None else tags
    return TAG_NAMES.get(audience) or (f"受众-{audience}"[:30] if audience in tags else None)


def validate_audience(audience: str) -> str | None:
    """An error message for staff, or None when the audience is usable."""
    if audience == "all" or audience in TAG_NAMES or audience in _tag_providers():
        return None
    prefix, _, arg = audience.partition(":")
    if prefix == "town":
        return None if arg.strip() else "乡镇名称不能为空（例如 town:鳌江镇）"
    if prefix in _list_providers() or prefix == "round":
        return None if arg.strip() else f"{prefix} 后面要写编号（例如 {prefix}:1）"
    return "对象只能是 all、town:乡镇名、registered、subscribers 或 round:编号"


def _subscribed(session: Session, openids: Iterable[str]) -> list[str]:
    """Drop openids whose follower row says they left (WeChat refuses to tag them)."""
    wanted = {o for o in openids if o}
    if not wanted:
        return []
    gone = set(session.scalars(select(Follower.openid).where(Follower.subscribed.is_(False))))
    return sorted(wanted - gone)


def members(session: Session, audience: str, tags: dict[str, TagProvider] | None = None) -> list[str]:
    """The openids an audience should reach now (subscribed followers only)."""
    if audience.startswith("town:"):
        return sorted(session.scalars(select(Follower.openid).where(
            Follower.town == audience[5:], Follower.subscribed.is_(True))))
    tags = _tag_providers() if tags is None else tags
    if audience in tags:
        return _subscribed(session, tags[audience](session))
    prefix, _, arg = audience.partition(":")
    lists = _list_providers()
    if prefix in lists:
        return _subscribed(session, lists[prefix](session, arg))
    raise PermanentError(None, f"no provider for audience {audience!r} yet (the feature is not installed)")


def tag_audiences(session: Session, tags: dict[str, TagProvider] | None = None) -> list[str]:
    """Every tag audience this server manages: one per town that has followers, plus declared ones."""
    towns = session.scalars(select(Follower.town).distinct()
                            .where(Follower.town.is_not(None), Follower.subscribed.is_(True)))
    return [f"town:{t}" for t in sorted(set(towns)) if t] + sorted(_tag_providers() if tags is None else tags)


def sync_tag(api, sessions, audience: str, tags: dict[str, TagProvider] | None = None) -> int:
    """Make the WeChat tag of an audience hold exactly its members; return the tag id."""
    name = tag_name(audience, tags)
    if name is None:
        raise ValueError(f"{audience!r} is not a tag audience")
    with sessions() as session:
        wanted = set(members(session, audience, tags))
        row = session.get(WeChatTag, name)
        known_id = row.tag_id if row else None
    existing = {t["name"]: int(t["id"]) for t in api.tag_list()}
    # Reuse the tag WeChat has under this name (or the id we stored), else create it.
    tag_id = existing.get(name) or (known_id if known_id in existing.values() else None)
    tag_id = tag_id or api.tag_create(name)
    current = set(api.tag_members(tag_id))
    api.tag_users(tag_id, sorted(wanted - current))
    api.untag_users(tag_id, sorted(current - wanted))
    with sessions.begin() as session:
        row = session.get(WeChatTag, name)
        if row is None:
            session.add(WeChatTag(name=name, tag_id=tag_id, member_count=len(wanted), synced_at=utcnow()))
        else:
            row.tag_id, row.member_count, row.synced_at = tag_id, len(wanted), utcnow()
    log.info("tag %s (%s): %d members, +%d −%d", name, tag_id, len(wanted), len(wanted - current),
             len(current - wanted))
    return tag_id


def sync_tags(api, sessions, providers: dict[str, TagProvider] | None = None) -> dict[str, int]:
    """Sync every managed tag (towns + the features' tag audiences, plus `providers` for this call)."""
    tags = _tag_providers(providers)
    with sessions() as session:
        audiences = tag_audiences(session, tags)
    return {audience: sync_tag(api, sessions, audience, tags) for audience in audiences}
