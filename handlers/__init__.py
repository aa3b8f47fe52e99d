"""The composition root: every feature of the assistant, in priority order (first match answers).

A feature declares its handlers, flows, scheduler ticks, notice audiences, "删除我的信息" forgetters,
`wxbot` commands and console pages as data (bot.engine.features.Feature); installed() there collects
this list for Services (router), the scheduler, the CLI, the console, audiences and privacy.
Distress detection (bot/safety) is not a feature: bot/engine/dispatch.py runs it first for every text.
"""
from __future__ import annotations

from bot.cli import staff as cli_admin, delivery as cli_delivery
from bot.engine.features import Feature
from bot.scheduler.runner import CORE_TICKS
from handlers import aids, booking, entitle, jobs, menu, notices, policy, registration

# What every deployment runs whatever the features: delivery, retention, the console's own pages.
CORE = Feature(
    name="core",
    ticks=CORE_TICKS,
    cli=(cli_delivery.fake_wechat, cli_delivery.scheduler, cli_delivery.menu, cli_admin.staff),
    pages=("bot.admin.views.auth", "bot.admin.views.dashboard", "bot.admin.views.facts",
           "bot.admin.views.staff", "bot.admin.views.urgent"),
)

# Fixed priority: menus and flows before free text; policy Q&A is the fallback at the end.
FEATURES = [
    CORE,
    menu.FEATURE,
    registration.FEATURE,
    booking.FEATURE,
    jobs.FEATURE,
    notices.FEATURE,
    entitle.FEATURE,
    aids.FEATURE,
    policy.FEATURE,
]
