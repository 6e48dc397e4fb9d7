"""What every command shares: the Typer app, the invocation (its clock and config file),
settings, failing with a message, and small formatters."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor import __version__
from monitor.clock import Clock
from monitor.errors import MonitorError
from monitor.logs import setup_logging
from monitor.settings import Settings, load_settings

if TYPE_CHECKING:
    from monitor.app import Service
    from monitor.judge.embed import Embedder

app = typer.Typer(
    help="Track claims across news feeds and official briefings; alert the desk on Slack.",
    no_args_is_help=True,
    add_completion=False,
)


watchlist_app = typer.Typer(help="Check and list watchlist files.", no_args_is_help=True)


db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


app.add_typer(watchlist_app, name="watchlist")


app.add_typer(db_app, name="db")


log = logging.getLogger("monitor")


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (also MONITOR_CONFIG).", show_default=False
    ),
]


@dataclass
class Invocation:
    """What the commands of one invocation share: the clock and the config file.

    ``main`` runs the app on the system clock; tests pass their own as Typer's context object
    (``CliRunner().invoke(app, args, obj=Invocation(clock))``).
    """

    clock: Clock
    config: Path | None = None


_invocation: ContextVar[Invocation] = ContextVar("invocation")


def invocation() -> Invocation:
    """The running command's :class:`Invocation` (set from Typer's context object)."""
    return _invocation.get()


def now() -> datetime:
    """The current moment, from the invocation's clock."""
    return invocation().clock()


def settings() -> Settings:
    """Settings for this invocation; a bad setting exits with a clear message."""
    try:
        loaded = load_settings(invocation().config)
    except MonitorError as err:
        fail(str(err))
    setup_logging(loaded.log_level, loaded.log_json)
    return loaded


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"monitor {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: ConfigOption = None,
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True)
    ] = False,
) -> None:
    if not isinstance(ctx.obj, Invocation):  # see main(): the app always runs with one
        fail("the command line runs without a clock (use monitor.cli.main)")
    ctx.obj.config = config
    _invocation.set(ctx.obj)


def service_from(build: Callable[..., Service]) -> Service:
    try:
        return build(settings(), clock=invocation().clock)
    except MonitorError as err:
        raise fail(str(err)) from err


def format_moment(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


def embedder_for(current: Settings) -> Embedder:
    from monitor.app import make_embedder

    return make_embedder(current)


def progress(label: str) -> Callable[[Iterable[int]], Iterable[int]]:
    from tqdm import tqdm

    def wrap(items: Iterable[int]) -> Iterable[int]:
        bar: Iterable[int] = tqdm(list(items), desc=label, unit="batch", file=sys.stderr)
        return bar

    return wrap
