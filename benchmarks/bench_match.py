"""Matcher speed at 50, 500 and 5,000 entries, side by side with a plain rapidfuzz scan.

The real knowledge/ entries are scaled up synthetically: each copy keeps a real entry's sample
questions with a few characters swapped for random ones and a made-up topic word added, so the
index grows in both vocabulary and postings the way a bigger knowledge base would. Queries are
the dev questions. Timings are wall-clock per query on one core (this process), after one warm-up.

With the semantic extra installed it also times the fused matcher (lexical + sentence embedding):
index build cold (empty cache) and warm (vectors from the disk cache, as after a restart) on the real
knowledge base, per-query times, and the process's RSS. At 500 and 5,000 entries the copies reuse
their original entry's sample vectors with a little noise (embedding 55,000 made-up samples would
take a quarter of an hour and would not change the query time, which is one matrix-vector product).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_match.py [--queries N] [--stories]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz, process  # noqa: E402

from bot.answers.knowledge import KnowledgeBase  # noqa: E402
from bot.answers.matcher import Matcher, semantic  # noqa: E402
from bot.answers.matcher.text import Normalizer  # noqa: E402

SIZES = (0, 500, 5000)  # 0: the real knowledge base as it is
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


# --stories: long messages whose asking sentences are matched too (two embeddings each), taken from
# these spent eval sets only (never a held-out one).
STORY_SETS = ("fresh.tsv", "fresh2.tsv", "fresh3.tsv")


def stories(limit: int) -> list[str]:
    from bot.answers.matcher import story
    lines = [ln.split("\t", 1)[1].strip() for name in STORY_SETS
             for ln in (ROOT / "knowledge" / "eval" / name).read_text("utf-8").splitlines()
             if "\t" in ln and not ln.startswith("#")]
    lines = [q for q in lines if story.question_part(q)]
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


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def semantic_builds(real: list, normalizer) -> None:
    """Index build on the real entries: cold (nothing cached) and warm (restart: disk cache only)."""
    with tempfile.TemporaryDirectory() as tmp:
        os.environ[semantic.CACHE_DIR] = tmp
        times = []
        for _ in ("cold", "warm"):
            semantic._memory.clear()  # a new process: nothing in memory
            started = time.perf_counter()
            Matcher.build(real, normalizer)
            times.append(time.perf_counter() - started)
        del os.environ[semantic.CACHE_DIR]
    print(f"semantic index build on the real {len(real)} entries: cold {times[0]:.1f} s, "
          f"warm {times[1]:.2f} s")


def with_vectors(matcher: Matcher, base_vectors, rng) -> Matcher:
    """Attach sample vectors for a scaled-up knowledge base: the originals' vectors plus noise."""
    import numpy as np
    n = len(matcher.doc_entry)
    reps = -(-n // len(base_vectors))
    noise = np.random.default_rng(7).normal(0, 0.01, (n, base_vectors.shape[1]))
    vecs = np.tile(base_vectors, (reps, 1))[:n] + noise
    vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
    matcher.semantic = semantic.SemanticIndex(semantic.model(), vecs, matcher.doc_entry, len(matcher.entries))
    return matcher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--knowledge", default=str(ROOT / "knowledge"))
    parser.add_argument("--stories", action="store_true",
                        help="time long stories (their asking part matched too) instead of the dev questions")
    args = parser.parse_args()
    kb = KnowledgeBase.load(args.knowledge)
    normalizer = Normalizer.load(args.knowledge)
    real = list(kb.entries.values())
    queries = stories(args.queries) if args.stories else questions(args.queries)
    rng = random.Random(20261128)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{len(real)} real entries, {len(queries)} queries per size, one process; load average {load:.1f}; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}")
    embedder = semantic.model()
    base_vectors = None
    if embedder is not None:
        semantic_builds(real, normalizer)
        base_vectors = Matcher.build(real, normalizer).semantic.vectors
    else:
        print("semantic layer unavailable: lexical matcher only")
    print("ms per query: wall-clock p50 / p99, and p99 of CPU time\n")
    print(f"{'entries':>7} {'samples':>8} {'build s':>8} | {'lexical p50':>11} {'p99':>6} {'cpu p99':>7} | "
          f"{'fused p50':>9} {'p99':>6} {'cpu p99':>7} | {'extractOne p50':>14} {'p99':>6}")
    for size in SIZES:
        size = size or len(real)
        entries = scale_up(real, size, rng)
        started = time.perf_counter()
        matcher = Matcher.build(entries, normalizer, embed=False)
        build_ms = (time.perf_counter() - started) * 1000
        choices = [q for e in entries for q in (e.title, *e.questions)]
        # _match: uncached (the result cache would time a dict lookup for queries that repeat).
        ours, ours_cpu = timed(matcher._match, queries)
        fused = "        -      -       -"
        if base_vectors is not None:
            if size == len(real):
                matcher = Matcher.build(entries, normalizer)  # the real vectors (cached)
            else:
                matcher = with_vectors(matcher, base_vectors, rng)
            sem, sem_cpu = timed(matcher._match, queries)
            fused = f"{statistics.median(sem):>9.2f} {pct(sem, 99):>6.2f} {pct(sem_cpu, 99):>7.2f}"
        plain, _plain_cpu = timed(lambda q: process.extractOne(q, choices, scorer=fuzz.WRatio), queries)
        print(f"{size:>7} {len(choices):>8} {build_ms / 1000:>8.1f} | {statistics.median(ours):>11.2f} "
              f"{pct(ours, 99):>6.2f} {pct(ours_cpu, 99):>7.2f} | {fused} | "
              f"{statistics.median(plain):>14.2f} "
              f"{pct(plain, 99):>6.2f}")
        if size == len(real):
            real_rss = rss_mb()  # what a worker holds: the model, the real index, the libraries
    print(f"\nRSS with the real knowledge base (a worker): {real_rss:.0f} MB; at the end (5,000 entries "
          f"built too): {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
