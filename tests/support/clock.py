"""The one test clock: a moment that moves only when a test moves it.

Services receive "now" as a callable; tests hand them a :class:`Clock` so that data stored at a
fixed date and questions about "now" agree on any day the suite runs (no date bombs).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# A moment in the past: fixed dates in tests never depend on the day the suite runs.
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Clock:
    """A callable returning a fixed moment; ``advance`` moves it forward."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def timestamp(self) -> float:
        """The moment as Unix seconds (for signatures and the Slack server's ``ts``)."""
        return self.now.timestamp()
