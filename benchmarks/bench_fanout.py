"""Benchmark: a 20 000-recipient template fan-out through the outbox dispatcher against the fake WeChat API.

Reports messages per second over the run and this process's memory (RSS, optionally tracemalloc) sampled
every 1 000 messages, which should stay flat: the dispatcher holds one batch at a time, never the queue.

    .venv/bin/python benchmarks/bench_fanout.py [--recipients 20000] [--concurrency 4] [--database-url URL]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import migrate  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import dispose_all, session_factory, utcnow  # noqa: E402
from bot.outbox.notify import notify  # noqa: E402
from bot.outbox.dispatcher import Dispatcher  # noqa: E402
from bot.models import Follower, OutboxMessage  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_fake(port: int) -> subprocess.Popen:
    """The fake API in its own process, so its records do not count against the dispatcher's memory."""
    proc = subprocess.Popen([sys.executable, "-m", "bot.devtools.fake_wechat.server", "--port", str(port)],
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/_fake/state", timeout=0.5)
            return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("fake WeChat API did not start")


def prepare(settings: Settings, recipients: int) -> float:
    migrate.upgrade(settings)
    sessions = session_factory(settings.database_url)
    started = time.perf_counter()
    now = utcnow()
    for start in range(0, recipients, 1000):
        with sessions.begin() as session:
            ids = [f"o_bench_{i:06d}" for i in range(start, min(start + 1000, recipients))]
            session.add_all(Follower(openid=o, last_message_at=now) for o in ids)
            session.flush()
            for openid in ids:
                notify(session, openid, "booking_reminder", {"item": "上门评残", "time": "12月3日上午",
                                                             "place": "县残联"}, f"bench:{openid}",
                       "提醒：明天上午上门评残，请在家等候。")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slower)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="wxbot-bench-"))
    knowledge = workdir / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    config = yaml.safe_load((knowledge / "templates.yaml").read_text("utf-8"))
    config["templates"]["booking_reminder"]["template_id"] = "TPL_BENCH_REMINDER"
    config["limits"]["rates_per_minute"] = {"mass": 60, "template": 0, "custom": 0}  # measure us, not pacing
    (knowledge / "templates.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    port = free_port()
    fake = start_fake(port)
    settings = Settings(database_url=args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
                        wechat_api_base=f"http://127.0.0.1:{port}", token_owner=True,
                        knowledge_dir=str(knowledge))
    try:
        enqueue_seconds = prepare(settings, args.recipients)
        sessions = session_factory(settings.database_url)
        dispatcher = Dispatcher(settings, sessions, concurrency=args.concurrency, batch_size=args.batch_size)
        if args.tracemalloc:
            tracemalloc.start()
        samples, sent, started, next_sample = [], 0, time.perf_counter(), 0
        while True:
            stats = dispatcher.run(max_batches=1)
            if not stats:
                break
            sent += stats.get("sent", 0)
            if sent >= next_sample:
                traced = tracemalloc.get_traced_memory() if args.tracemalloc else (0, 0)
                samples.append({"sent": sent, "seconds": round(time.perf_counter() - started, 2),
                                "rss_mb": round(rss_mb(), 1), "traced_mb": round(traced[0] / 2**20, 2),
                                "traced_peak_mb": round(traced[1] / 2**20, 2)})
                next_sample += 1000
        elapsed = time.perf_counter() - started
        dispatcher.close()
        with sessions() as session:
            not_sent = session.query(OutboxMessage).filter(OutboxMessage.status != "sent").count()
        fake_sent = requests.get(f"http://127.0.0.1:{port}/_fake/state", timeout=5).json()["sent"]
        rss = [s["rss_mb"] for s in samples[1:]] or [0]
        summary = {"recipients": args.recipients, "backend": settings.database_url.split(":")[0],
                   "concurrency": args.concurrency, "enqueue_seconds": round(enqueue_seconds, 1),
                   "send_seconds": round(elapsed, 1), "messages_per_second": round(sent / elapsed, 1),
                   "sent": sent, "not_sent": not_sent, "fake_received": fake_sent,
                   "rss_mb_first_last_max": [rss[0], rss[-1], max(rss)]}
        for s in samples[:: max(1, len(samples) // 10)] + samples[-1:]:
            traced = (f"  traced {s['traced_mb']:.1f} MB (peak {s['traced_peak_mb']:.1f})"
                      if args.tracemalloc else "")
            print(f"  {s['sent']:>6} sent  {s['seconds']:>7.1f} s  rss {s['rss_mb']:>6.1f} MB{traced}")
        print(json.dumps(summary, ensure_ascii=False))
        results = ROOT / "benchmarks" / "results"
        results.mkdir(exist_ok=True)
        report = json.dumps({"summary": summary, "samples": samples}, indent=1)
        (results / "bench_fanout.json").write_text(report)
        if not_sent or fake_sent != args.recipients:
            raise SystemExit("FAILED: not every recipient got exactly one message")
    finally:
        fake.terminate()
        fake.wait(timeout=10)
        dispose_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
