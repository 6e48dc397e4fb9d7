"""One backoff rule for every retry in monitor (pure): each failed try doubles the wait, up to a
cap. Alerts (Slack), digests (the mail server, within a send and across sends) and failing
sources all wait by it."""

from __future__ import annotations

from datetime import timedelta

# Beyond this many doublings the wait is the cap anyway; it keeps the numbers small.
MAX_DOUBLINGS = 30


def doubling(
    first: timedelta, attempts: int, cap: timedelta, *, max_doublings: int = MAX_DOUBLINGS
) -> timedelta:
    """The wait after ``attempts`` failed tries: ``first`` after the first, twice that after the
    second, and so on (at most ``max_doublings`` times), never more than ``cap``."""
    doublings = min(max(0, attempts - 1), max_doublings)
    wait: timedelta = first * 2**doublings
    return min(cap, wait)
