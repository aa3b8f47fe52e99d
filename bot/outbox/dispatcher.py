"""The outbox dispatcher: claim due rows with a lease, send each once, record what happened.

One transaction claims a batch (and decides rows that need no call: unsubscribed, window closed, no
quota). The batch is then sent in waves of `concurrency` rows: one transaction records the wave's
attempts ('sending') *before* any API call, the calls run in parallel, one transaction records the
results. No transaction is open during an HTTP call. A crash therefore leaves 'claimed' rows (never
sent → released) and at most one wave of 'sending' rows, which recover() treats as maybe-delivered
(see bot.outbox.state).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from sqlalchemy import select

from bot.db import utcnow
from bot.outbox import policy, state
from bot.outbox.config import load_config
from bot.outbox.ratelimit import RateLimits
from bot.models import Follower
from bot.wechat.client import WeChatAPI
from bot.wechat.errors import WeChatError

log = logging.getLogger(__name__)
# Test hook: called as CHECKPOINT(point, row_id) at "claimed", "before_send" and "after_send", so a
# test can kill the process exactly there. None in production.
CHECKPOINT: Callable[[str, int], None] | None = None


def _checkpoint(point: str, row_id: int) -> None:
    if CHECKPOINT is not None:
        CHECKPOINT(point, row_id)


class Dispatcher:
    def __init__(self, settings, sessions, api: WeChatAPI | None = None, *, batch_size: int = 100,
                 concurrency: int = 4, lease_seconds: float = 120.0, rates: dict | None | str = "config",
                 clock: Callable[[], dt.datetime] = utcnow):
        self.settings, self.sessions = settings, sessions
        self.api = api or WeChatAPI(settings, sessions)
        self.batch_size, self.concurrency = batch_size, max(1, concurrency)
        self.lease = dt.timedelta(seconds=lease_seconds)
        # A row in 'sending' must outlive the call (and its one token retry) before recovery touches it.
        self.send_lease = dt.timedelta(seconds=settings.api_timeout_seconds * 3 + 30)
        config_rates = load_config(settings.knowledge_dir).rates_per_minute
        self.limits = RateLimits(config_rates if rates == "config" else rates)
        self.clock = clock
        self.stop_event = threading.Event()
        self._pool = (ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox")
                      if self.concurrency > 1 else None)

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def run(self, max_batches: int | None = None) -> Counter:
        """Recover expired leases, then send until nothing is due (or stopped); return counts."""
        stats: Counter = Counter()
        with self.sessions.begin() as session:
            stats.update({f"recovered_{k}": v for k, v in state.recover(session, self.clock()).items() if v})
        batches = 0
        while not self.stop_event.is_set() and (max_batches is None or batches < max_batches):
            claim_token, plans = self._claim(stats)
            if claim_token is None:
                break
            batches += 1
            for start in range(0, len(plans), self.concurrency):
                if self.stop_event.is_set():
                    break
                stats.update(self._deliver_wave(plans[start:start + self.concurrency], claim_token))
            with self.sessions.begin() as session:
                stats["released"] += state.release(session, claim_token)
        stats = +stats  # drop zero counts
        if stats:
            log.info("outbox run: %s", dict(stats))
        return stats

    def _claim(self, stats: Counter) -> tuple[str | None, list[tuple[policy.SendPlan, policy.FollowerView]]]:
        """Lease a batch and plan each row; rows decided without a call are recorded here."""
        token, now = uuid.uuid4().hex, self.clock()
        config = load_config(self.settings.knowledge_dir)
        plans = []
        with self.sessions.begin() as session:
            rows = state.claim(session, now=now, limit=self.batch_size, token=token, lease=self.lease)
            if not rows:
                return None, []
            openids = {r.openid for r in rows if r.openid}
            found = session.scalars(select(Follower).where(Follower.openid.in_(openids))) if openids else []
            followers = {f.openid: policy.FollowerView(f.subscribed, f.last_message_at, f.last_event_at) for f in found}
            mass_left = config.mass_daily_quota - state.used_today(session, "mass", now)
            decided = []
            for row in rows:
                view = policy.RowView(row.id, row.dedupe_key, row.channel, row.openid,
                                      dict(row.payload or {}), row.attempts, row.ambiguous_since)
                follower = followers.get(row.openid) if row.openid else None
                decision = policy.plan(view, follower, config, mass_left, now)
                if isinstance(decision, state.Outcome):
                    decided.append((row.id, decision, None))
                    stats[f"{decision.status}_before_send"] += 1
                    continue
                mass_left -= decision.channel == "mass"
                plans.append((decision, follower))
            # One write for the rows decided without a call (and their call tasks, if owed).
            state.apply_many(session, token, decided, now)
        for plan_, _ in plans:
            _checkpoint("claimed", plan_.row.id)
        return token, plans

    def _deliver_wave(self, wave: list[tuple[policy.SendPlan, policy.FollowerView | None]],
                      claim_token: str) -> Counter:
        """Send up to `concurrency` rows in parallel: one commit records the attempts before any call,
        one commit records the results after. A crash in between leaves at most this wave 'sending'."""
        ready = []
        for item in wave:  # pacing first, so a long wait cannot eat into the 'sending' lease
            if not self.limits.acquire(item[0].channel, self.stop_event):
                break
            ready.append(item)
        attempt, started = uuid.uuid4().hex, self.clock()
        with self.sessions.begin() as session:
            held = state.mark_sending(session, {p.row.id: p.channel for p, _ in ready}, claim_token, attempt,
                                      started, self.send_lease)
        ready = [item for item in ready if item[0].row.id in held]
        for plan_, _ in ready:
            _checkpoint("before_send", plan_.row.id)
        mapper = self._pool.map if self._pool and len(ready) > 1 else map
        outcomes = list(mapper(lambda item: self._send(item, started), ready))
        for plan_, _ in ready:
            _checkpoint("after_send", plan_.row.id)
        now = self.clock()
        with self.sessions.begin() as session:
            results = [(p.row.id, o, p.row.openid) for (p, _), o in zip(ready, outcomes, strict=True)]
            state.apply_many(session, attempt, results, now)
        return Counter(outcome.status for outcome in outcomes)

    def _send(self, item: tuple[policy.SendPlan, policy.FollowerView | None],
              started: dt.datetime) -> state.Outcome:
        """The API call for one row (no DB work here: this runs in the sender threads)."""
        plan_, follower = item
        try:
            return policy.after_success(plan_, send(self.api, plan_))
        except WeChatError as exc:
            config = load_config(self.settings.knowledge_dir)
            outcome = policy.after_error(plan_, exc, started, follower, config, self.clock())
            log.log(logging.WARNING if outcome.status != state.PENDING else logging.INFO,
                    "outbox %s (%s): %s → %s", plan_.row.id, plan_.channel, exc.summary, outcome.status)
            return outcome
        except Exception as exc:  # a bug building the request: record it instead of looping forever
            log.exception("outbox %s: unexpected error", plan_.row.id)
            return state.Outcome(state.FAILED, f"internal error: {type(exc).__name__}: {exc}"[:300])


# Keys our payloads carry for the dispatcher; they are not part of WeChat's message body.
_OWN_KEYS = {"kind", "fields", "url", "template_refused", "target", "clientmsgid", "urgent"}


def send(api: WeChatAPI, plan: policy.SendPlan) -> dict:
    """The WeChat API call of the plan's channel."""
    row, p = plan.row, plan.row.payload
    if plan.channel == "template":
        tpl = plan.template
        return api.send_template(row.openid, tpl.template_id, tpl.render(p.get("fields") or {}),
                                 url=p.get("url") or tpl.url or None, client_msg_id=plan.client_msg_id)
    if plan.channel == "custom":
        msgtype = p.get("msgtype", "text")
        if msgtype == "text":
            return api.send_custom_text(row.openid, p["text"]["content"])
        if msgtype == "news":
            return api.send_custom_news(row.openid, p["news"]["articles"])
        body = {k: v for k, v in p.items() if k not in _OWN_KEYS}
        return api.post("message/custom/send", data={**body, "touser": row.openid})
    if plan.channel == "mass":
        return _mass(api, p, plan.client_msg_id)
    raise ValueError(f"unknown channel {plan.channel!r}")


def _mass(api: WeChatAPI, p: dict, clientmsgid: str) -> dict:
    target = p.get("target") or {}
    text = (p.get("text") or {}).get("content")
    media_id = (p.get("mpnews") or {}).get("media_id")
    if "openids" in target:
        return api.mass_send_to_openids(target["openids"], clientmsgid=clientmsgid, text=text,
                                        media_id=media_id)
    where = {"to_all": True} if target.get("to_all") else {"tag_id": int(target["tag_id"])}
    if p.get("msgtype", "text") == "text":
        return api.mass_send_text(text, clientmsgid=clientmsgid, **where)
    return api.mass_send_news(media_id, clientmsgid=clientmsgid, **where)


def dispatch_due(settings, sessions, api: WeChatAPI | None = None, **options) -> Counter:
    """One dispatcher run (a scheduler tick, `wxbot scheduler --once`, tests)."""
    dispatcher = Dispatcher(settings, sessions, api, **options)
    try:
        return dispatcher.run()
    finally:
        dispatcher.close()
