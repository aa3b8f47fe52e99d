"""“删除我的信息”: each capability registers how it forgets one WeChat user; registration runs them all."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

# (what the resident is told was removed, function(session, openid) -> how many rows)
_FORGETTERS: list[tuple[str, Callable[[Session, str], int | None]]] = []


def register_forgetter(label: str, forget: Callable[[Session, str], int | None]) -> None:
    if all(fn is not forget for _label, fn in _FORGETTERS):
        _FORGETTERS.append((label, forget))


def forget_everywhere(session: Session, openid: str) -> dict[str, int]:
    """Run every registered forgetter in the caller's transaction; {label: rows affected}."""
    from bot.safety.staff import forget_resident as forget_urgent  # core, always installed
    removed = {label: int(forget(session, openid) or 0) for label, forget in _FORGETTERS}
    removed["求助和投诉记录中的原话"] = forget_urgent(session, openid)
    return removed
