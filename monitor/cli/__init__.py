"""The ``monitor`` command line: a thin front end over the service (Typer).

One module per group of commands: ``service`` (run, worker, web, poll, demo), ``desk``
(sources, alerts, status, mute, digest), ``admin`` (config, watchlist, users, db, archive,
embeddings), ``stance``; ``common`` holds the app, the invocation's clock and settings.
"""

from __future__ import annotations

import sys

import typer

from monitor.cli.common import Invocation, app, invocation, now, settings
from monitor.clock import system_clock
from monitor.errors import MonitorError
from monitor.memory import limit_malloc_arenas

# Imported for the commands they add to ``app``, in the order `monitor --help` lists them.
# isort: off
from monitor.cli import service, desk, admin, stance

# isort: on

COMMANDS = (service, desk, admin, stance)


def main() -> None:
    limit_malloc_arenas()  # before any thread starts: many fetch threads fragment the heap
    try:
        app(obj=Invocation(system_clock))
    except MonitorError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        sys.exit(1)


__all__ = ["Invocation", "app", "invocation", "main", "now", "settings"]
