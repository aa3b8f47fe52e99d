"""Per-channel pacing: a token bucket per channel, shared by the dispatcher's sending threads.

Only one scheduler process sends, so an in-process bucket is enough. WeChat allows 60 mass-send calls a
minute; templates and customer-service messages have daily quotas rather than a per-second limit, but
bursting thousands a second only earns 45011, so they are paced too (knowledge/templates.yaml).
"""
from __future__ import annotations

import threading
import time


class TokenBucket:
    def __init__(self, per_minute: float, burst: float | None = None):
        self.rate = per_minute / 60.0  # tokens a second
        self.capacity = burst if burst is not None else max(1.0, self.rate * 2)
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def _wait_needed(self) -> float:
        """Take a token and return 0, or return how long to wait for the next one."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return 0.0
            return (1 - self.tokens) / self.rate

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Block until a token is free; False when stop was set while waiting."""
        while True:
            wait = self._wait_needed()
            if wait == 0.0:
                return True
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                time.sleep(wait)


class RateLimits:
    """One bucket per channel; a channel without a rate (or rate ≤ 0) is not paced."""

    def __init__(self, per_minute: dict[str, float] | None):
        self.buckets = {ch: TokenBucket(rate) for ch, rate in (per_minute or {}).items() if rate and rate > 0}

    def acquire(self, channel: str, stop: threading.Event | None = None) -> bool:
        bucket = self.buckets.get(channel)
        return True if bucket is None else bucket.acquire(stop)
