"""`make bench-webhook`: the project's /wechat against the protocol floor, under the same gunicorn.

Servers (each `gunicorn -w 2 --threads 4 --preload`, a free loopback port, WXBOT_DEMO=1): the protocol
floor (benchmarks/bare_app.py: signature + AES decrypt + parse + encrypt a 300-character reply), the
project on SQLite, and on PostgreSQL (127.0.0.1:5432, its own database, dropped afterwards; skipped if
unreachable). Interleaved rounds (floor, SQLite, PostgreSQL, floor, …) so a noisy machine hits all
alike; min/median/max req/s over the rounds. 16 connections; each resident's messages go in order on
one connection, a realistic mix (bench_mix.py). Every reply is decrypted and checked afterwards: HTTP
errors, "success" and the apology count as failures. Server CPU per request from /proc of the
gunicorn processes; worker RSS, PSS and USS after the run. On PostgreSQL, before the servers start:
round trips per message, counted in a protocol trace of the app's connections (one message at a time).

    .venv/bin/python benchmarks/bench_webhook.py [--rounds 3] [--requests 800] [--no-pg]
"""
from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_mix import commands, distinct_questions, failure, mix  # noqa: E402
from bench_pg import drop_pg, pg_database, round_trips  # noqa: E402

from bot.config import DEMO, Settings  # noqa: E402

CLIENTS = 16
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, target: str, env: dict, logs: str):
        self.name, self.port = name, free_port()
        cmd = [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "--threads", "4", "--preload",
               "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", target]
        # The servers' own log (urgent items raised by distress questions, warnings) goes to a file:
        # the table is what this prints.
        self.log = Path(logs) / f"{name.replace(' ', '_')}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/wechat")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        self.proc.kill()
        raise RuntimeError(f"{name}: gunicorn did not start")

    def workers(self) -> list[int]:
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(c) for c in children]

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in [self.proc.pid, *self.workers()]:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK  # utime + stime
        return total

    def memory_mb(self) -> tuple[float, float, float]:
        """Largest worker RSS, PSS and USS. RSS counts every page the worker maps, the ones it shares
        with the master after --preload too; PSS splits shared pages between their sharers; USS is what
        the worker alone holds (what one more worker costs)."""
        rss = pss = uss = 0.0
        for pid in self.workers():
            fields = {}
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
                name, value = line.split(":", 1)
                fields[name] = int(value.split()[0]) / 1024
            rss, pss = max(rss, fields["Rss"]), max(pss, fields["Pss"])
            uss = max(uss, fields["Private_Clean"] + fields["Private_Dirty"])
        return rss, pss, uss

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def load(port: int, scripts: list[list[tuple[str, bytes]]]) -> tuple[float, list[float], list[tuple]]:
    """Send each script in order on its own connection (CLIENTS at a time); bounded by the scripts."""
    latencies, answers, lock = [], [], threading.Lock()
    lanes = [scripts[i::CLIENTS] for i in range(CLIENTS)]

    def client(lane):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, got = [], []
        for script in lane:
            for query, body in script:
                start = time.perf_counter()
                try:
                    conn.request("POST", f"/wechat?{query}", body=body, headers={"Content-Type": "text/xml"})
                    resp = conn.getresponse()
                    got.append((resp.status, resp.read()))
                except OSError as exc:
                    got.append((0, str(exc).encode()))
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            answers.extend(got)
    threads = [threading.Thread(target=client, args=(lane,)) for lane in lanes]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, answers


def measure(server: Server, settings: Settings, scripts) -> dict:
    cpu = server.cpu_seconds()
    elapsed, lat, answers = load(server.port, scripts)
    cpu = server.cpu_seconds() - cpu
    lat.sort()
    bad = sum(failure(settings, status, body, server.name == "floor") for status, body in answers)
    return {"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1000, "p99": lat[int(len(lat) * 0.99)] * 1000,
            "cpu": cpu / len(lat) * 1000, "n": len(lat), "bad": bad}


def row(name: str, runs: list[dict], floor: float | None) -> str:
    rps = sorted(r["rps"] for r in runs)
    med = statistics.median
    ratio = f"{med(rps) / floor:.2f}×" if floor else ""
    return (f"{name:<22}{rps[0]:>7.0f}{med(rps):>7.0f}{rps[-1]:>7.0f}{ratio:>8}"
            f"{med([r['p50'] for r in runs]):>8.1f}{med([r['p99'] for r in runs]):>8.1f}"
            f"{med([r['cpu'] for r in runs]):>8.2f}{sum(r['bad'] for r in runs):>6}/{sum(r['n'] for r in runs)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=800, help="messages per round per server")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-webhook-")
    base = dict(os.environ, WECHAT_AES_KEY=DEMO["WECHAT_AES_KEY"], WECHAT_API_BASE="http://127.0.0.1:9",
                WXBOT_DEMO="1", PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    settings = Settings.from_env(base)
    urls = {"SQLite": f"sqlite:///{tmp}/bench.sqlite3"}
    pg = None if args.no_pg else pg_database()
    if pg:
        urls["PostgreSQL"] = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg}"
    servers: list[Server] = []
    trips = None
    try:
        if pg:
            env = dict(base, DATABASE_URL=urls["PostgreSQL"])
            subprocess.run([str(ROOT / ".venv/bin/wxbot"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            trips = round_trips(env)
        servers.append(Server("floor", "benchmarks.bare_app:app", base, tmp))
        for name, url in urls.items():
            env = dict(base, DATABASE_URL=url)
            subprocess.run([str(ROOT / ".venv/bin/wxbot"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            servers.append(Server(name, "webhook:create_app()", env, tmp))
        for s in servers:
            measure(s, settings, mix(settings, 64, f"warm{s.port}"))  # connections, caches, lazy imports
        results: dict[str, list[dict]] = {s.name: [] for s in servers}
        for r in range(args.rounds):
            for s in servers:  # fresh messages (new MsgId, nonce, timestamp) for every run
                results[s.name].append(measure(s, settings, mix(settings, args.requests, f"r{r}p{s.port}")))
        projects = [s for s in servers if s.name != "floor"]
        plain = {s.name: measure(s, settings, commands(settings, args.requests // 2, f"c{s.port}")) for s in projects}
        distinct = {s.name: measure(s, settings, distinct_questions(settings, f"d{s.port}")) for s in projects}
        memory = {s.name: s.memory_mb() for s in servers}
    finally:
        for s in servers:
            s.stop()
        if pg:
            drop_pg(pg)
    floor = statistics.median(r["rps"] for r in results["floor"])
    print(f"servers' logs: {tmp}/*.log")
    print(f"\n{args.rounds} interleaved rounds × {args.requests} messages per server, {CLIENTS} connections, "
          "gunicorn -w 2 --threads 4 --preload, safe mode (AES)")
    print(f"{'server':<22}{'min':>7}{'med':>7}{'max':>7}{'×floor':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU ms':>8}"
          f"{'failed':>10}")
    for name, runs in results.items():
        print(row(name if name == "floor" else f"{name} mix", runs, None if name == "floor" else floor))
    for name, res in plain.items():
        print(row(f"{name} no matcher", [res], floor))
    for name, res in distinct.items():
        print(row(f"{name} distinct Q", [res], floor))
    print("worker memory after the run (largest worker): "
          + ", ".join(f"{n} RSS {rss:.0f} / PSS {pss:.0f} / USS {uss:.0f} MB" for n, (rss, pss, uss) in memory.items()))
    if trips:
        every = [n for ns in trips.values() for n in ns]
        print(f"PostgreSQL round trips per message (protocol trace, {len(every)} messages of new residents): "
              f"mean {statistics.mean(every):.1f}, max {max(every)}; by message: "
              + ", ".join(f"{k} {statistics.median(v):g}" for k, v in trips.items()))
    print("req/s min/med/max over rounds; p50/p99/CPU (server CPU per request, all gunicorn processes) are "
          "medians over rounds; 'no matcher' = menu words, picks, clicks, a flow (one run); 'distinct Q' = policy questions all different (knowledge/eval/tune*.tsv), "
          "one run, semantic layer as configured (WXBOT_SEMANTIC)")


if __name__ == "__main__":
    main()
