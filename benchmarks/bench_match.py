"""Matcher speed at 50, 500 and 5,000 entries, side by side with a plain rapidfuzz scan.

The real knowledge/ entries are scaled up synthetically: each copy keeps a real entry's sample
questions with a few characters swapped for random ones and a made-up topic word added, so the
index grows in both vocabulary and postings the way a bigger knowledge base would. Queries are
the dev questions. Timings are wall-clock per query on one core (this process), after one warm-up.

    .venv/bin/python benchmarks/bench_match.py [--queries N]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.knowledge import KnowledgeBase  # noqa: E402
from bot.matcher import Matcher  # noqa: E402
from bot.matcher.text import Normalizer  # noqa: E402

SIZES = (50, 500, 5000)
DEV = Path("/work/shared/eval/dev-questions.tsv")
HAN = [chr(c) for c in range(0x4E00, 0x9FA5)]


@dataclass
class FakeEntry:
    id: str
    kind: str
    title: str
    questions: list[str]
    keywords: list[str] = field(default_factory=list)


def scale_up(real: list, size: int, rng: random.Random) -> list:
    """The real entries first, then perturbed copies until there are `size` entries."""
    entries = [FakeEntry(e.id, e.kind, e.title, list(e.questions), list(e.keywords)) for e in real][:size]
    n = 0
    while len(entries) < size:
        base = real[n % len(real)]
        n += 1
        word = "".join(rng.choice(HAN) for _ in range(2))

        def vary(text: str) -> str:
            chars = list(text)
            for _ in range(max(1, len(chars) // 6)):
                chars[rng.randrange(len(chars))] = rng.choice(HAN)
            return word + "".join(chars)
        entries.append(FakeEntry(f"{base.id}.x{n}", base.kind, vary(base.title),
                                 [vary(q) for q in base.questions], [word, *base.keywords[:2]]))
    return entries


def questions(limit: int) -> list[str]:
    if DEV.exists():
        lines = [ln.split("\t", 1)[1].strip() for ln in DEV.read_text("utf-8").splitlines()
                 if "\t" in ln and not ln.startswith("#")]
    else:
        lines = ["残疾证丢了咋补办", "护理补贴几级才有", "共享轮椅在哪里借"]
    return (lines * (limit // len(lines) + 1))[:limit]


def timed(fn, queries: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per query (CPU time is what to trust on a busy machine)."""
    fn(queries[0])  # warm caches (pinyin readings) once
    wall, cpu = [], []
    for q in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        fn(q)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    args = parser.parse_args()
    kb = KnowledgeBase.load(args.knowledge)
    normalizer = Normalizer.load(args.knowledge)
    real = list(kb.entries.values())
    queries = questions(args.queries)
    rng = random.Random(20261128)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(real)} real entries, {len(queries)} queries per size, one process; load average {load:.1f}")
    print("ms per query: wall-clock p50 / p99, and p99 of CPU time\n")
    print(f"{'entries':>7} {'samples':>8} {'build s':>8} | {'matcher p50':>11} {'p99':>6} {'cpu p99':>7} | "
          f"{'extractOne p50':>14} {'p99':>6} {'cpu p99':>7}")
    for size in SIZES:
        entries = scale_up(real, size, rng)
        started = time.perf_counter()
        matcher = Matcher.build(entries, normalizer)
        build_ms = (time.perf_counter() - started) * 1000
        choices = [q for e in entries for q in (e.title, *e.questions)]
        ours, ours_cpu = timed(matcher.match, queries)
        plain, plain_cpu = timed(lambda q: process.extractOne(q, choices, scorer=fuzz.WRatio), queries)
        print(f"{size:>7} {len(choices):>8} {build_ms / 1000:>8.1f} | {statistics.median(ours):>11.2f} "
              f"{pct(ours, 99):>6.2f} {pct(ours_cpu, 99):>7.2f} | {statistics.median(plain):>14.2f} "
              f"{pct(plain, 99):>6.2f} {pct(plain_cpu, 99):>7.2f}")


if __name__ == "__main__":
    main()
