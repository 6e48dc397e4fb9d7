"""The one clock: the only place that reads the wall clock.

Everything else receives "now" as a :data:`Clock` (a callable returning an aware UTC datetime),
handed down from the composition root (``monitor.app.build_service``) or, for the command line,
from the Typer context. Tests hand in a clock they control instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)
