"""`make fault`: WeChat's side against the production shape under faults; prints lost / doubled.

Real gunicorn (2 workers) + `wxbot scheduler` (restarted like systemd would) + PostgreSQL on
127.0.0.1:5432 (its own database, dropped at the end) + the fake WeChat API. A bounded stream of
distinct signed, encrypted messages (half of them "转人工", which queues a message: a side effect),
each delivered the way WeChat does: no 200 within 5 s → re-delivered 5 s after the previous attempt,
at most 3 deliveries. Under that load a web worker is killed with SIGKILL (four times) and PostgreSQL is
restarted (`pg_ctlcluster … restart`; it is started again at the end whatever happens).

A message is answered (a reply within 5 s), followed up (the resident got our "please send it again"
customer-service message) or lost. Doubled: processed twice (two message-log rows, two handovers, two
follow-ups). Both lost and doubled must be 0; the exit status says whether they are.
"""
from __future__ import annotations

import os
import random
import secrets
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.devtools.fake_wechat.server import FakeWeChat  # noqa: E402
from bot.devtools.simulate import build_xml, read_reply, signed_request  # noqa: E402

MESSAGES = int(os.environ.get("FAULT_MESSAGES", 400))
RATE = float(os.environ.get("FAULT_RATE", 25))  # new messages a second
PG = os.environ.get("FAULT_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_VERSION = os.environ.get("FAULT_PG_VERSION", "15")
SQLITE = os.environ.get("FAULT_DB", "postgresql") == "sqlite"  # SQLite: a 6-second write lock instead
OUTAGE = float(os.environ.get("FAULT_OUTAGE_SECONDS", 0))  # 0: no long outage
PORT = int(os.environ.get("FAULT_PORT", 18431))
DEADLINE, RETRY_GAP, DELIVERIES = 5.0, 5.0, 3  # WeChat's behaviour
APOLOGY, FOLLOW_UP = "系统刚才出了点问题", "没能处理"


def _secret(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


class Supervised:
    """A child process restarted when it exits (like systemd Restart=always), at most `limit` times."""

    def __init__(self, cmd: list[str], env: dict, log, limit: int = 30):
        self.cmd, self.env, self.log, self.limit = cmd, env, log, limit
        self.proc: subprocess.Popen | None = None
        self.restarts, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> "Supervised":
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set() and self.restarts <= self.limit:
            self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
            while self.proc.poll() is None and not self._stop.is_set():
                time.sleep(0.2)
            if not self._stop.is_set():
                self.restarts += 1
                time.sleep(1)

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._thread.join(15)


def deliver(settings: Settings, base: str, i: int, openid: str, content: str) -> dict:
    """One message as WeChat delivers it; returns what the resident saw and how many deliveries."""
    xml = build_xml(openid, "text", settings.wechat_account, msg_id=str(6_000_000 + i), Content=content)
    outcome = {"openid": openid, "content": content, "deliveries": 0, "seen": None, "statuses": [],
               "seconds": []}
    for attempt in range(DELIVERIES):
        started = time.monotonic()
        query, body = signed_request(settings, xml)  # a fresh timestamp and nonce each time
        outcome["deliveries"] += 1
        try:
            resp = requests.post(f"{base}/wechat?{query}", data=body, timeout=DEADLINE,
                                 headers={"Content-Type": "text/xml"})
            outcome["statuses"].append(resp.status_code)
            outcome["seconds"].append(time.monotonic() - started)
            if resp.status_code == 200:
                reply = read_reply(settings, resp.content)
                # "转人工" answers with a hand-over to customer service (no text): that is an answer too.
                outcome["seen"] = "" if reply["type"] == "success" else (reply["text"] or reply["type"])
                return outcome
        except requests.RequestException as exc:
            outcome["statuses"].append(exc.__class__.__name__)
        if attempt + 1 < DELIVERIES:
            time.sleep(max(0.0, started + RETRY_GAP - time.monotonic()))
    return outcome


def faults(master_pid: int, log: list[str], db_url: str) -> None:
    """SIGKILL a worker at 3, 5, 7 and 9 s, restart PostgreSQL at 11 s (all under load); with
    FAULT_OUTAGE_SECONDS, stop PostgreSQL that long at 16 s (longer than WeChat's retries)."""
    t0 = time.monotonic()
    plan = [(3, "kill"), (5, "kill"), (7, "kill"), (9, "kill"), (11, "lock" if SQLITE else "pg")] + ([(16, "outage")] if OUTAGE else [])
    for at, what in plan:
        time.sleep(max(0.0, t0 + at - time.monotonic()))
        if what == "kill":
            children = subprocess.run(["pgrep", "-P", str(master_pid)], capture_output=True, text=True).stdout.split()
            if children:
                victim = int(random.choice(children))
                os.kill(victim, 9)
                log.append(f"t={time.monotonic() - t0:.1f}s kill -9 worker {victim}")
        elif what == "lock":  # another process (an import, a backup) holds SQLite's write lock
            started = time.monotonic()
            conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=30)
            conn.execute("BEGIN IMMEDIATE")
            time.sleep(6)
            conn.rollback()
            conn.close()
            log.append(f"t={started - t0:.1f}s SQLite write lock held for {time.monotonic() - started:.1f}s")
        elif what == "outage":
            started = time.monotonic()
            subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "stop"], check=False)
            time.sleep(OUTAGE)
            subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "start"], check=False)
            log.append(f"t={started - t0:.1f}s PostgreSQL down for {time.monotonic() - started:.1f}s")
        else:
            started = time.monotonic()
            subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "restart"], check=False)
            log.append(f"t={started - t0:.1f}s PostgreSQL restart took {time.monotonic() - started:.1f}s")


def ensure_pg_running() -> None:
    status = subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "status"], capture_output=True)
    if status.returncode != 0:
        subprocess.run(["pg_ctlcluster", PG_VERSION, "main", "start"], check=False)


def wait_http(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def tally(db_url: str, fake: FakeWeChat, outcomes: list[dict]) -> dict:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        logs = Counter(dict(conn.execute(text(
            "select openid, count(*) from message_log where openid like 'o_fault%' group by openid")).all()))
        human = Counter(dict(conn.execute(text(
            "select openid, count(*) from outbox where source = 'human' group by openid")).all()))
    engine.dispose()
    followed = Counter(r["touser"] for r in fake.sent(kind="custom") if FOLLOW_UP in r.get("content", ""))
    counts = Counter()
    for o in outcomes:
        who, seen = o["openid"], o["seen"]
        answered = bool(seen) and APOLOGY not in seen
        counts["answered"] += answered
        counts["apologised"] += bool(seen) and not answered
        counts["followed_up"] += bool(followed[who])
        counts["lost"] += not seen and not followed[who]
        counts["doubled"] += logs[who] > 1 or human[who] > 1 or followed[who] > 1
        counts["answered_but_not_logged"] += answered and logs[who] == 0
        counts["retried"] += o["deliveries"] > 1
        if not seen and not followed[who]:
            counts.setdefault("lost_detail", []).append(f"{who} {o['content']} {o['statuses']} logged {logs[who]}")
    return counts


def main() -> int:
    name = f"wxbot_fault_{secrets.token_hex(4)}"
    workdir = Path(tempfile.mkdtemp(prefix="wxbot-fault-"))
    admin = None if SQLITE else create_engine(PG, isolation_level="AUTOCOMMIT")
    if SQLITE:
        db_url = f"sqlite:///{workdir / 'fault.sqlite3'}"
    else:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = PG.rsplit("/", 1)[0] + f"/{name}"
    app_id, app_secret = "wx" + _secret(16, string.hexdigits.lower()), _secret(32)
    fake = FakeWeChat(appid=app_id, secret=app_secret).start()
    settings = Settings(wechat_token=_secret(32), wechat_app_id=app_id, wechat_app_secret=app_secret,
                        wechat_aes_key=_secret(43), database_url=db_url)
    env = {**os.environ, "DATABASE_URL": db_url, "WECHAT_TOKEN": settings.wechat_token,
           "WECHAT_APP_ID": app_id, "WECHAT_APP_SECRET": app_secret, "WECHAT_AES_KEY": settings.wechat_aes_key,
           "WECHAT_API_BASE": fake.url, "SECRET_KEY": _secret(48), "DATA_KEY": _secret(48)}
    log = open(workdir / "processes.log", "w")
    bin_ = ROOT / ".venv" / "bin"
    web = scheduler = None
    events: list[str] = []
    try:
        subprocess.run([str(bin_ / "wxbot"), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=log, stderr=log)
        web = subprocess.Popen([str(bin_ / "gunicorn"), "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{PORT}",
                                "--log-level", "warning", "--access-logfile", str(workdir / "access.log"),
                                "--access-logformat", '%(t)s %(s)s %(M)sms %(p)s', "webhook:create_app()"], cwd=ROOT, env=env,
                               stdout=log, stderr=log)
        base = f"http://127.0.0.1:{PORT}"
        wait_http(f"{base}/wechat")
        scheduler = Supervised([str(bin_ / "wxbot"), "scheduler"], env, log).start()
        fault_thread = threading.Thread(target=faults, args=(web.pid, events, db_url), daemon=True)
        started = time.monotonic()
        fault_thread.start()
        with ThreadPoolExecutor(max_workers=128) as pool:
            futures = []
            for i in range(MESSAGES):
                time.sleep(max(0.0, started + i / RATE - time.monotonic()))
                futures.append(pool.submit(deliver, settings, base, i, f"o_fault{i:04d}",
                                           "转人工" if i % 2 else "菜单"))
            outcomes = [f.result() for f in futures]
        fault_thread.join(60)
        load_seconds = time.monotonic() - started
        # Follow-ups: WeChat's retry window (20 s), the scheduler's sweep (10 s), the outbox (3 s).
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            counts = tally(db_url, fake, outcomes)
            if counts["lost"] == 0 and time.monotonic() - started > load_seconds + 35:
                break
            time.sleep(3)
        counts = tally(db_url, fake, outcomes)
        statuses = Counter(str(s) for o in outcomes for s in o["statuses"])
        print(f"fault campaign: {MESSAGES} messages at {RATE:g}/s over {load_seconds:.0f} s, "
              f"gunicorn -w 2 + scheduler (restarted {scheduler.restarts}x) + "
              + ("SQLite" if SQLITE else f"PostgreSQL {PG_VERSION}"))
        for line in events:
            print("  " + line)
        print("  delivery answers: " + ", ".join(f"{k}×{v}" for k, v in sorted(statuses.items())))
        print(f"  answered {counts['answered']}, apologised {counts['apologised']}, "
              f"followed up {counts['followed_up']}, retried {counts['retried']}")
        print(f"  lost {counts['lost']}  doubled {counts['doubled']}  "
              f"(answered but not logged: {counts['answered_but_not_logged']})")
        for line in counts.get("lost_detail", [])[:10]:
            print("    lost: " + line)
        answered_in = sorted(sec for o in outcomes for sec in o["seconds"])
        print(f"  answer time: p50 {answered_in[len(answered_in) // 2]:.3f} s, max {answered_in[-1]:.2f} s, "
              f"{sum(sec > 4.5 for sec in answered_in)} over 4.5 s; timed out (5 s) "
              f"{statuses.get('ReadTimeout', 0)}")
        logged = (workdir / "processes.log").read_text("utf-8", "replace")
        print(f"  server log: {logged.count('takes it over')} lease takeovers by a retry, "
              f"{logged.count('database unavailable for')} answered 503, "
              f"{logged.count('follow-up message queued')} follow-ups queued")
        print(f"  process logs: {workdir / 'processes.log'}")
        return 0 if counts["lost"] == 0 and counts["doubled"] == 0 else 1
    finally:
        if scheduler is not None:
            scheduler.stop()
        if web is not None:
            web.terminate()
            try:
                web.wait(15)
            except subprocess.TimeoutExpired:
                web.kill()
        fake.stop()
        log.close()
        if admin is not None:
            drop_database(admin, name)


def drop_database(admin, name: str) -> None:
    ensure_pg_running()
    for _ in range(30):  # PostgreSQL may still be starting
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(1)
    admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
