"""`make bench-webhook`: requests/s and p50/p99 of the full POST path under gunicorn, vs a bare Flask app.

Full path = signature check, AES decrypt, parse, dedup insert, routing, state, message log, reply,
AES encrypt. Each request is a distinct message (new MsgId), encrypted, as in safe mode. Both servers
run with the same gunicorn settings in the same run, so the ratio means something on a noisy machine.
"""
from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import DEMO, Settings  # noqa: E402
from bot.simulate import build_xml, signed_request  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", 2000))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 8))
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
TEXTS = ["菜单", "6", "你好", "残疾证怎么办", "两项补贴", "找工作", "谢谢"]


def start_gunicorn(target: str, port: int, env: dict) -> subprocess.Popen:
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(WORKERS), "--threads", "4", "-b", f"127.0.0.1:{port}",
           "--log-level", "warning", target]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/wechat")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn {target} did not start")


def load(base: str, bodies: list[tuple[str, bytes]]) -> tuple[float, list[float]]:
    url = urlparse(base)
    latencies: list[float] = []
    lock = threading.Lock()
    chunks = [bodies[i::CLIENTS] for i in range(CLIENTS)]

    def client(chunk):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        mine = []
        for query, body in chunk:
            start = time.perf_counter()
            conn.request("POST", f"/wechat?{query}", body=body, headers={"Content-Type": "text/xml"})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"HTTP {resp.status}")
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies


def summary(name: str, elapsed: float, lat: list[float]) -> dict:
    lat = sorted(lat)
    return {"name": name, "rps": len(lat) / elapsed, "p50": statistics.median(lat) * 1000,
            "p99": lat[int(len(lat) * 0.99) - 1] * 1000}


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-webhook-")
    database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    env = dict(os.environ, DATABASE_URL=database_url, WECHAT_AES_KEY=DEMO["WECHAT_AES_KEY"],
               WECHAT_API_BASE="http://127.0.0.1:9", WXBOT_DEMO="1")
    settings = Settings.from_env(env)
    subprocess.run([str(ROOT / ".venv/bin/wxbot"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    bodies = [signed_request(settings, build_xml(f"o_bench{i % 200}", "text", Content=TEXTS[i % len(TEXTS)]),
                             encrypt=True) for i in range(REQUESTS)]
    results = []
    for name, target, port in (("bare Flask", "benchmarks.bare_app:app", 18081),
                               ("full /wechat", "webhook:create_app()", 18080)):
        proc = start_gunicorn(target, port, env)
        try:
            load(f"http://127.0.0.1:{port}", bodies[:100])  # warm up (index build, connections)
            fresh = [signed_request(settings, build_xml(f"o_b{i % 200}", "text", Content=TEXTS[i % len(TEXTS)]),
                                    encrypt=True) for i in range(REQUESTS)]
            results.append(summary(name, *load(f"http://127.0.0.1:{port}", fresh)))
        finally:
            proc.terminate()
            proc.wait()
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"\n{REQUESTS} requests, {CLIENTS} clients, gunicorn -w {WORKERS} --threads 4, {backend}, safe mode (AES)")
    print(f"{'endpoint':<14}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for r in results:
        print(f"{r['name']:<14}{r['rps']:>10.0f}{r['p50']:>10.1f}{r['p99']:>10.1f}")
    print(f"full path throughput = {results[1]['rps'] / results[0]['rps']:.2f} × bare Flask")


if __name__ == "__main__":
    main()
