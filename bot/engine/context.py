"""The per-message context handlers receive: message, DB session, state, services."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.db import utcnow
from bot.engine.flows import Flow
from bot.wechat.inbound import Inbound
from bot.models import ConversationState, Follower
from bot.engine.router import Match
from bot.engine.services import Services


@dataclass
class Ctx:
    msg: Inbound
    session: Session  # the message's one transaction; handlers never commit
    services: Services
    state: ConversationState
    follower: Follower
    text: str = ""  # what the resident said (typed or transcribed), control chars stripped
    action_arg: str = ""  # for numbered-option actions: "cert.apply" of "topic:cert.apply"
    notes: list[str] = field(default_factory=list)  # lines the engine prepends (e.g. flow timed out)
    match: Match | None = None  # why the dispatcher chose the handler now running

    @property
    def openid(self) -> str:
        return self.msg.openid

    @property
    def settings(self):
        return self.services.settings

    @property
    def local(self):
        return self.services.local_facts()

    @property
    def data(self) -> dict:
        return self.state.data

    def start_flow(self, flow: Flow | str, step: str, **data) -> None:
        """Open `flow` (or the installed flow of that name: bot/ code opening a flow handlers/ declares)."""
        if isinstance(flow, str):
            flow = self.services.router.flows[flow]
        minutes = flow.timeout_minutes or self.settings.flow_timeout_minutes
        self.state.flow, self.state.step = flow.name, step
        self.state.data = dict(data)
        self.state.options = []
        self.state.expires_at = utcnow() + dt.timedelta(minutes=minutes)

    def goto(self, step: str, **data) -> None:
        self.state.step = step
        self.state.data = {**(self.state.data or {}), **data}  # new dict: JSON columns track assignment

    def end_flow(self) -> None:
        self.state.flow = self.state.step = None
        self.state.data = {}
        self.state.expires_at = None

    @property
    def in_flow(self) -> bool:
        return bool(self.state.flow)
