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
import flask
tagged, flows, routes_held = set(), set(), []
for name in names:
    for value in vars(sys.modules[name]).values():
        if isinstance(value, flask.Blueprint) and value.deferred_functions:
            routes_held.append(f"{name}.{value.name}")
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
    "tagged": sorted(tagged), "flows": sorted(flows), "routes_held": routes_held,
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
    assert imported["routes_held"] == []  # console, API and simulator routes wait for a blueprint per app
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


def _moves(fn_module) -> list[tuple[object, str]]:
    """Every `ctx.goto("step")` and `ctx.start_flow(flow, "step")` in a module: (flow or None, step)."""
    import ast
    import importlib
    import inspect

    module = importlib.import_module(fn_module)
    found = []
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        args = node.args
        if node.func.attr == "goto" and args and isinstance(args[0], ast.Constant):
            found.append((None, args[0].value))
        elif node.func.attr == "start_flow" and len(args) >= 2 and isinstance(args[1], ast.Constant):
            flow = args[0].value if isinstance(args[0], ast.Constant) else getattr(module, args[0].id)
            found.append((flow, args[1].value))
    return found


def test_every_flow_is_declared_once_as_data_with_its_entries_and_steps():
    import dataclasses
    import inspect

    import pytest

    from bot.engine.features import installed
    from bot.engine.flows import Flow

    features = installed()
    flows = {flow.name: flow for flow in features.flows}
    handlers = set(features.handlers)
    step_modules: dict[str, set[str]] = {}  # module → the step names its flows declare
    for flow in flows.values():
        assert flow.entry and set(flow.entry) <= handlers, f"{flow.name}: an entry is not a declared handler"
        assert flow.steps and all(inspect.isfunction(fn) for fn in flow.steps.values()), flow.name
        for fn in (*flow.steps.values(), *flow.entry):
            step_modules.setdefault(fn.__module__, set()).update(flow.steps)
    # Every step the code moves to is one its flow declares (a typo would drop the resident out of it).
    for module, names in step_modules.items():
        for flow, step in _moves(module):
            target = flows[flow] if isinstance(flow, str) else flow
            allowed = set(target.steps) if target is not None else names
            assert step in allowed, f"{module}: goto/start_flow to undeclared step {step!r}"
    # A declared flow is read-only: nothing (an import, a decorator) can add a step to it afterwards.
    booking = flows["booking"]
    assert [n for n, v in vars(Flow).items() if callable(v) and not n.startswith("_")] == ["handle"]
    with pytest.raises(TypeError):
        booking.steps["extra"] = len
    with pytest.raises(dataclasses.FrozenInstanceError):
        booking.timeout_minutes = 1
    # The names ConversationState stores survive the change of declaration: conversations in progress go on.
    assert {name: sorted(f.steps) for name, f in flows.items() if name != "entitle"} == {
        "booking": sorted(["reason", "reason_note", "category", "address", "phone", "town", "pick",
                           "waitlist", "confirm", "done"]),
        "booking_cancel": ["confirm"], "booking_resched": ["confirm", "pick"],
        "people_register": sorted(["relation", "family", "name", "identity", "phone", "town"]),
        "people_manage": ["delete", "unbind"], "aids": sorted(["device", "town", "none", "pick", "confirm"]),
        "aids_cancel": ["pick"], "aids_extend": ["pick"], "contact_town": ["town"]}
    from bot.entitle.questions import ORDER
    assert set(flows["entitle"].steps) == {"confirm", "cert_where", *ORDER}


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
