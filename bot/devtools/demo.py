"""`wxbot serve --demo` (what `make run` starts): one process with everything a newcomer needs."""
from __future__ import annotations

import logging
import os

import click

from bot.answers import knowledge
from bot.config import DEMO, Settings
from bot.devtools.demo_seed import banner, seed_demo
from bot.devtools.fake_wechat import server as fake_wechat
from bot.scheduler import runner as scheduler
from webhook import create_app

log = logging.getLogger(__name__)


def demo_settings(port: int) -> Settings:
    """Environment first; demo values for whatever is unset (printed so they can be reused)."""
    env = dict(os.environ)
    for var, value in DEMO.items():
        env.setdefault(var, value)
    env["WECHAT_API_BASE"] = os.environ.get("WECHAT_API_BASE") or f"http://127.0.0.1:{port + 1}"
    env.setdefault("SIMULATOR", "1")
    return Settings.from_env(env, embedded_scheduler=True, token_owner=True, demo=True)


def serve_demo(host: str, port: int) -> None:
    settings = demo_settings(port)
    click.echo("Demo settings (set these variables to override):\n" + settings.describe())
    if settings.wechat_api_base.startswith(f"http://127.0.0.1:{port + 1}"):
        fake_wechat.start_in_thread("127.0.0.1", port + 1)
    scheduler.start_embedded(settings)
    app = create_app(settings)
    _warm_up(app)
    seeded = seed_demo(settings, app.extensions["wxbot"].sessions)
    click.echo(f"\n  Simulator:  http://{host}:{port}/\n  Webhook:    http://{host}:{port}/wechat"
               f"   (token {settings.wechat_token}, EncodingAESKey {settings.wechat_aes_key})\n")
    click.echo(banner(seeded, f"http://{host}:{port}"))
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _warm_up(app) -> None:
    """Build the knowledge index (and the matcher) before the first resident waits for it."""
    knowledge.bundle(app.extensions["wxbot"])
