"""The notices console as staff use it: quiet hours shown when scheduling, the urgent checkbox, one quota
rule on every page, a send over quota accepted but waiting with the date, a report in recipients."""
from __future__ import annotations

import pytest

import datetime as dt
import html

from sqlalchemy import select

from bot.db import LOCAL_TZ
from bot.outbox import notice_rules
from bot.outbox.config import load_config
from bot.outbox.models import Notice
from tests.support.delivery import Clock

pytestmark = pytest.mark.knowledge_copy


FORM = {"title": "康复讲座", "body": "周末在县残联二楼。", "audience": "registered", "when": "later"}


def tomorrow(clock: Clock, hour: int, minute: int) -> str:
    day = clock().astimezone(LOCAL_TZ).date() + dt.timedelta(days=1)
    return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def test_scheduling_in_quiet_hours_shows_0800_and_urgent_keeps_the_time(app, console):
    clock = app.config["CLOCK"] = Clock().set_local(20)
    writer = console("writer")
    form = {**FORM, "scheduled_at": tomorrow(clock, 3, 4)}
    compose = writer.get("/admin/notices/new").text
    assert "21:00–08:00 不打扰" in compose and 'name="urgent"' in compose
    preview = writer.post("/admin/notices/new", {**form, "action": "preview"}).text
    assert "发送时间：将于 明天 08:00 发送（21:00–08:00 不打扰）" in preview
    urgent = writer.post("/admin/notices/new", {**form, "urgent": "1", "action": "preview"}).text
    assert "发送时间：将于 明天 03:04 发送" in urgent and "不打扰）</strong>" not in urgent
    saved = writer.post("/admin/notices/new", {**form, "action": "save"}, follow_redirects=True).text
    assert "已安排定时发送。将于 明天 08:00 发送（21:00–08:00 不打扰）" in saved
    with app.extensions["wxbot"].sessions() as db:
        notice = db.scalar(select(Notice))
    assert notice.scheduled_at.astimezone(LOCAL_TZ).strftime("%H:%M") == "08:00" and not notice.urgent
    assert "将于 明天 08:00 发送（21:00–08:00 不打扰）" in writer.get("/admin/notices").text


def test_send_now_over_quota_is_accepted_and_waits_with_the_date(app, console, settings):
    app.config["CLOCK"] = Clock().set_local(10)
    writer = console("writer")
    first = writer.post("/admin/notices/new", {**FORM, "when": "now", "action": "save"}, follow_redirects=True)
    assert "已安排发送。马上发送" in first.text
    draft = writer.post("/admin/notices/new", {**FORM, "title": "第二条", "when": "draft", "action": "save"})
    notice_id = int(draft.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    sent = writer.post(f"/admin/notices/{notice_id}/schedule", {"scheduled_at": ""}, follow_redirects=True).text
    assert "将于 明天 08:00 发送，今天的群发次数已用完" in sent  # the flash and the detail page
    assert "发送中" not in sent
    with app.extensions["wxbot"].sessions() as db:
        notice = db.get(Notice, notice_id)
    assert notice.status == "scheduled" and notice.hold_reason == "quota"
    # The one rule, word for word, on the compose page, the list and the detail page.
    rule = html.escape(notice_rules.quota_rule(load_config(settings.knowledge_dir)))
    pages = [writer.get(p).text for p in ("/admin/notices/new", "/admin/notices", f"/admin/notices/{notice_id}")]
    assert all(rule in page and "今天还能群发 0 次（每天 1 次）" in page for page in pages)
    assert "已注册的居民" in rule and "全部关注者" in rule
