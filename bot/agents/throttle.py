"""Limit guessing: at most `limit` wrong credentials per client address per `window_s`, in memory.

Each process counts its own failures (several Rasa server instances each
allow `limit`). Past the limit every credential from that address is
refused, right or wrong, until the oldest failure leaves the window.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

MAX_ADDRESSES = 10_000  # beyond this, addresses whose failures are all old are forgotten first


class FailureLimiter:
    def __init__(self, limit: int = 10, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: float | None = None) -> int:
        """Whole seconds until `address` may try again; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent(address, now)
            if recent is None or len(recent) < self.limit:
                return 0
            return max(1, math.ceil(recent[0] + self.window_s - now))

    def failed(self, address: str, now: float | None = None) -> None:
        """Count one wrong credential from `address`."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if address not in self._failures and len(self._failures) >= MAX_ADDRESSES:
                self._forget_old(now)
            self._recent(address, now, create=True).append(now)

    def _recent(self, address: str, now: float, create: bool = False) -> deque[float] | None:
        times = self._failures.get(address)
        if times is None:
            if not create:
                return None
            times = self._failures[address] = deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def _forget_old(self, now: float) -> None:
        for address in [a for a, t in self._failures.items() if not t or t[-1] <= now - self.window_s]:
            del self._failures[address]
        if len(self._failures) >= MAX_ADDRESSES:  # all busy: drop the oldest entries
            for address in list(self._failures)[: MAX_ADDRESSES // 10]:
                del self._failures[address]
