"""Running the ``monitor`` command line in-process, on a test clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from click.testing import Result
from typer.testing import CliRunner

from monitor.cli import Invocation, app
from monitor.clock import Clock
from tests.support.clock import Clock as TestClock


def run_cli(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, clock: Clock | None = None
) -> Result:
    """``monitor ARGS`` with ``clock`` (a fixed test clock by default) as its only clock."""
    return CliRunner().invoke(
        app, list(args), env=dict(env or {}), obj=Invocation(clock or TestClock())
    )
