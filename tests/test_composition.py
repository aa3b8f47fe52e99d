"""The composition root is the one source of wiring: importing a module registers nothing, no cycles."""
from __future__ import annotations

import json
import subprocess
import sys

from benchmarks.import_graph import (COMPOSITION_ROOT_EDGES, cycles, function_level, graph, modules,
                                     without_composition_root)
from bot.config import ROOT

# Runs in a fresh interpreter: what every first-party module leaves behind when merely imported.
PROBE = r"""
import importlib, inspect, json, os, sys
from bot.cli import main as cli
from bot.engine import features
from bot.models import OutboxMessage
columns = sorted(OutboxMessage.__table__.columns.keys())
builtin = sorted(cli.cli.commands)
names = json.loads(sys.argv[1])
for name in names:
    importlib.import_module(name)
from bot.notices import audiences
from bot.privacy import forget as privacy
from bot.scheduler import runner as scheduler
from bot.engine.flows import Flow
from bot.models import OutboxMessage
tagged, flows = set(), set()
for name in names:
    for value in vars(sys.modules[name]).values():
        if inspect.isfunction(value) and getattr(value, "wx_routes", None):
            tagged.add(f"{value.__module__}.{value.__qualname__}")
        if type(value) is Flow:
            flows.add(value.name)
print(json.dumps({
    "built": features.installed.cache_info().currsize,
    "columns_same": columns == sorted(OutboxMessage.__table__.columns.keys()),
    "commands_same": builtin == sorted(cli.cli.commands),
    "registries": [f"{m.__name__}.{a}" for m in (audiences, privacy, scheduler)
                   for a in ("TAG_PROVIDERS", "AUDIENCE_PROVIDERS", "_FORGETTERS", "TICKS") if hasattr(m, a)],
    "tagged": sorted(tagged), "flows": sorted(flows),
    "pinyin_loaded": "pypinyin" in sys.modules or any(k.startswith("PYPINYIN") for k in os.environ),
}))
from bot.engine.features import installed
from bot.engine.router import Router
router = Router.from_features(installed())
print(json.dumps({"listed": sorted(f"{fn.__module__}.{fn.__qualname__}" for fn in installed().handlers),
                  "flows": sorted(router.flows)}))
"""


def test_importing_every_module_registers_nothing_and_features_are_the_one_list():
    names = sorted(modules())
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(names)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env={"PATH": "/usr/bin:/bin", "WXBOT_SEMANTIC": "0"})
    assert out.returncode == 0, out.stderr[-3000:]
    imported, collected = (json.loads(line) for line in out.stdout.strip().splitlines()[-2:])
    assert imported["built"] == 0, "importing a module built the features list"
    assert imported["columns_same"] and imported["commands_same"]
    assert imported["registries"] == []
    assert imported["pinyin_loaded"] is False  # pypinyin and its settings wait for the first fuzzy match
    # Every tagged handler and every flow in handlers/ is declared by a feature, and nothing else is.
    assert collected["listed"] == imported["tagged"]
    assert collected["flows"] == imported["flows"]


def test_tick_ids_are_the_ones_the_features_declare():
    from bot.engine.features import installed
    from handlers import FEATURES
    declared = [t.name for f in FEATURES for t in f.ticks]
    assert list(installed().ticks) == declared and len(set(declared)) == len(declared)
    assert {"token.refresh", "outbox.dispatch", "notices.due", "booking.reminders", "jobs.digest"} <= set(declared)
    periods = {t.name: t.seconds for t in installed().ticks.values()}
    assert periods["outbox.dispatch"] == 3 and periods["booking.reminders"] == 300 and periods["jobs.digest"] == 900


def test_no_import_cycle_at_module_level():
    edges, _nested = graph()
    assert cycles(edges) == []


def test_function_level_imports_hide_no_cycle_beyond_the_composition_root():
    # bot/ reaches up into handlers/ (which imports bot/ at import) at run time in these places only.
    assert COMPOSITION_ROOT_EDGES == {
        ("bot.engine.features", "handlers"), ("bot.answers.kb_lint", "handlers.policy"),
        ("bot.cli.asker", "handlers.policy"), ("bot.admin.views.kb", "handlers.policy"),
        ("bot.safety.respond", "handlers.menu")}
    everywhere = graph(everywhere=True)[0]
    upward = {(m, t) for m, targets in everywhere.items() if m.startswith("bot") for t in targets
              if t.startswith("handlers")}
    undocumented = {(m, t) for m, t in upward if (m, t) not in COMPOSITION_ROOT_EDGES
                    and not any(m == dm and dt.startswith(t + ".") for dm, dt in COMPOSITION_ROOT_EDGES)}
    assert undocumented == set()
    assert cycles(without_composition_root(everywhere)) == []


def test_every_function_level_import_says_why():
    unexplained = [f"{module}:{line}: {text}" for module, line, text, _t, ok in function_level() if not ok]
    assert unexplained == []


def test_console_pages_come_from_the_features_of_each_app_not_from_imports(settings):
    from flask import Blueprint, Flask

    from bot import admin
    from bot.admin import blueprint
    from bot.engine.features import installed
    from bot.engine.services import Services

    def console(features):
        app = Flask(__name__)
        app.config.update(SECRET_KEY=settings.secret_key, SETTINGS=settings)
        services = Services(settings, features)
        app.extensions["wxbot"] = services
        admin.register(app, services)
        return app

    full = console(installed())  # imports every views module
    without_jobs = console(installed().with_(without=["jobs"]))
    assert not [v for v in vars(blueprint).values() if isinstance(v, Blueprint)]  # no shared blueprint
    assert "admin.jobs_list" in full.view_functions and "admin.dashboard" in full.view_functions
    assert "admin.jobs_list" not in without_jobs.view_functions  # imported earlier, yet not added here
    assert "admin.dashboard" in without_jobs.view_functions
    assert without_jobs.test_client().get("/admin/jobs").status_code == 404
    assert "jobs" not in without_jobs.config["ADMIN_PAGES"]


def test_api_routes_are_recorded_on_import_and_added_to_a_blueprint_per_app(settings):
    probe = ("import sys, flask, bot.api.jobs\n"
             "print(sum(len(v.deferred_functions) for m in ('bot.api', 'bot.api.jobs')"
             " for v in vars(sys.modules[m]).values() if isinstance(v, flask.Blueprint)))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "WXBOT_SEMANTIC": "0"})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ["0"]  # no blueprint holds routes after a mere import

    from flask import Flask

    from bot import api
    from bot.engine.features import installed
    from bot.engine.services import Services

    def app_with_api():
        app = Flask(__name__)
        app.config.update(SECRET_KEY=settings.secret_key, SETTINGS=settings)
        app.extensions["wxbot"] = services = Services(settings, installed())
        api.register(app, services)
        return app

    first, second = app_with_api(), app_with_api()
    assert first.blueprints["api"] is not second.blueprints["api"]
    for app in (first, second):
        response = app.test_client().get("/api/v1/jobs")  # no token: the route exists and asks for one
        assert response.status_code == 401 and response.json["error"] == "unauthorized"
