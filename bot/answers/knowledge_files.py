"""Files under knowledge/: values rebuilt when their file changes (staff edit them live), atomic writes."""
from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Callable, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class FileCache(Generic[T]):
    """build(path) once per modification time of path (a missing file is a state too: build sees it).

    When a rebuild raises one of `keep_on` (a staff edit broke the YAML), the last good value stays
    until the next change; with none yet, `fallback()` is used (or the error raised)."""

    def __init__(self, build: Callable[[Path], T], keep_on: tuple[type[BaseException], ...] = (),
                 fallback: Callable[[], T] | None = None):
        self._build, self._keep_on, self._fallback = build, keep_on, fallback
        self._cache: dict[str, tuple[float | None, T]] = {}
        self._lock = threading.Lock()

    def get(self, path: str | Path) -> T:
        path = Path(path)
        try:
            mtime: float | None = path.stat().st_mtime
        except OSError:
            mtime = None
        with self._lock:
            cached = self._cache.get(str(path))
            if cached is not None and cached[0] == mtime:
                return cached[1]
            try:
                value = self._build(path)
            except self._keep_on as exc:
                log.error("%s is invalid (%s); keeping the previous version", path.name, exc)
                if cached is not None:
                    return cached[1]
                if self._fallback is None:
                    raise
                return self._fallback()
            self._cache[str(path)] = (mtime, value)
            return value


def atomic_write(path: Path, text: str) -> None:
    """Write-then-rename, so a worker reloading knowledge/ never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
