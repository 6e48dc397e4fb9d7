"""Slow down password guessing: too many failed sign-ins lock a name, and an address, a while."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class LoginThrottle:
    """After ``limit`` failed sign-ins within ``window`` for any of a request's keys (the name
    tried, the client's address), further tries are refused until the oldest failure ages out.
    Kept in memory: a restart forgets it, which costs a guesser a restart's worth of tries."""

    def __init__(self, limit: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Sequence[str], now: datetime) -> timedelta | None:
        """How long until a try is allowed again; None when it is allowed now."""
        with self._lock:
            waits = []
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self.limit:
                    waits.append(failures[0] + self.window - now)
            return max(waits) if waits else None

    def failed(self, keys: Sequence[str], now: datetime) -> None:
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures
