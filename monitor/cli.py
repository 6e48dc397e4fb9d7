"""The ``monitor`` command line: a thin front end over the service."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor import __version__
from monitor.clock import Clock, system_clock
from monitor.errors import MonitorError
from monitor.logs import setup_logging
from monitor.memory import limit_malloc_arenas
from monitor.settings import Settings, env_name, load_settings, settings_table

if TYPE_CHECKING:
    from monitor.app import Service
    from monitor.digest.deliver import DigestReport
    from monitor.judge.builtin import BuiltinStance
    from monitor.judge.cross import CrossEncoderStance
    from monitor.judge.embed import Embedder
    from monitor.judge.fnc import Pair
    from monitor.store import Repository
    from monitor.types import DigestRecord, Source

    FncModel = BuiltinStance | CrossEncoderStance

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


@app.command()
def run() -> None:
    """Run the service: migrate the database, load watchlists, poll and alert on schedule."""
    _run_service(serve_http=True)


@app.command()
def worker() -> None:
    """Poll, judge and deliver without serving HTTP: one of several workers sharing one
    PostgreSQL database (each due source is polled by one of them)."""
    _run_service(serve_http=False)


def _run_service(serve_http: bool) -> None:
    from monitor.app import build_service
    from monitor.scheduler import MonitorScheduler

    service = _service(build_service)
    scheduler = MonitorScheduler(service)
    # One HTTP server for the web UI, the API and the WebSub endpoint.
    web = service.web_server(scheduler.wake_judge) if serve_http else None
    # `docker stop` and systemd send SIGTERM: stop as cleanly as on Ctrl-C.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        if web is not None:
            web.start()
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopping: running jobs finish, nothing new starts")
        if scheduler.scheduler.running:
            scheduler.shutdown()
    except MonitorError as err:
        fail(str(err))
    finally:
        if web is not None:
            web.stop()
        service.close()


@app.command()
def web() -> None:
    """Serve the web UI, the API and the WebSub endpoint alone (no polling): watchlist files
    are loaded on start and re-read when they change."""
    import threading

    import uvicorn

    from monitor.app import build_service
    from monitor.scheduler import RELOAD_EVERY, watchlist_stamp

    service = _service(build_service)
    current = settings()
    stop = threading.Event()

    def reload() -> None:
        stamp = None
        while not stop.is_set():
            now = watchlist_stamp(current.watchlists)
            if now != stamp:
                stamp = now
                service.sync_watchlists()
            stop.wait(RELOAD_EVERY.total_seconds())

    if current.watchlist_sync:
        threading.Thread(target=reload, name="reload-watchlists", daemon=True).start()
    try:
        uvicorn.run(
            service.web_app(),
            host=current.http_host,
            port=current.http_port,
            log_level="warning",
            lifespan="off",
        )
    finally:
        stop.set()
        service.close()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@app.command()
def poll(
    once: Annotated[
        bool, typer.Option("--once", help="Poll every source once, then exit.")
    ] = False,
) -> None:
    """Poll sources, judge new items and deliver alerts (`--once`: one cycle, then exit)."""
    if not once:
        run()
        return
    from monitor.app import build_service

    service = _service(build_service)
    try:
        report = service.sync_watchlists()
        if not report.watchlists and report.problems:
            fail("no watchlist could be loaded (see the problems above)")
        cycle = service.pipeline.run_cycle(service.repository.sources(), patient=True)
    except MonitorError as err:
        fail(str(err))
    finally:
        service.close()
    new_items = sum(p.new_items for p in cycle.polled)
    typer.echo(
        f"polled {len(cycle.polled)} sources: {new_items} new items, "
        f"{cycle.evidence} new evidence, {len(cycle.delivery.sent)} alerts sent"
    )
    for outcome in cycle.failed_sources:
        typer.secho(
            f"  source failed: {outcome.source.name}: {outcome.error}",
            err=True,
            fg=typer.colors.YELLOW,
        )
    delivery = cycle.delivery
    for alert, error in delivery.failed + delivery.retrying + delivery.paused:
        typer.secho(f"  alert {alert.id} not delivered: {error}", err=True, fg=typer.colors.YELLOW)


@app.command()
def demo(
    database: Annotated[
        Path | None, typer.Option(help="SQLite file to use (default: a temporary one).")
    ] = None,
) -> None:
    """Run the whole pipeline offline on sample feeds served from 127.0.0.1; print the alerts."""
    from monitor.demo import run_demo

    try:
        run_demo(settings(), database, echo=typer.echo)
    except MonitorError as err:
        fail(str(err))


@app.command()
def sources() -> None:
    """List every source: status, interval, items per day, last success and error, next poll."""
    from monitor.store import open_store

    repository = open_store(settings().resolved_database_url)
    rows = repository.sources(include_disabled=True)
    if not rows:
        typer.echo("no sources (load a watchlist with `monitor poll --once` or `monitor run`)")
    per_day = repository.items_per_day(now(), days=7)
    for source in rows:
        for line in _describe_source(source, per_day.get(source.id, [0] * 7)):
            typer.echo(line)


def _describe_source(source: Source, per_day: list[int]) -> list[str]:
    if not source.enabled:
        status = "disabled"
    else:
        status = "failing" if source.last_error else ("ok" if source.last_success_at else "new")
    interval = f"every {source.poll_interval}"
    if source.current_interval != source.poll_interval:
        interval += f" (adapted: {source.current_interval})"
    lines = [
        f"[{status}] {source.name} <{source.url}>",
        f"    {interval} · last success {_when(source.last_success_at)} · "
        f"next poll {_when(source.next_poll_at)}",
        f"    items per day, last 7 days (oldest first): {' '.join(map(str, per_day))}",
    ]
    if source.disabled_reason:
        lines.append(f"    disabled: {source.disabled_reason} (edit its watchlist to enable it)")
    if source.last_error:
        lines.append(f"    last error ({source.error_count}x): {source.last_error}")
    return lines


alerts_app = typer.Typer(help="The outbox: alerts and their delivery.")
app.add_typer(alerts_app, name="alerts")


@alerts_app.callback(invoke_without_command=True)
def alerts(
    context: typer.Context,
    limit: Annotated[int, typer.Option(help="How many alerts to show.")] = 20,
    status: Annotated[
        str | None,
        typer.Option(help="Only this status: pending, sending, sent, batched, muted, failed."),
    ] = None,
) -> None:
    """Show the newest alerts in the outbox with their delivery status and errors."""
    if context.invoked_subcommand is not None:
        return
    from monitor.notify.messages import render_text
    from monitor.store import open_store
    from monitor.types import AlertStatus

    try:
        wanted = AlertStatus(status) if status else None
    except ValueError:
        raise typer.BadParameter(f"unknown status {status!r}", param_hint="--status") from None
    repository = open_store(settings().resolved_database_url)
    for alert in reversed(repository.alerts(wanted, limit=limit, newest_first=True)):
        error = f" ({alert.last_error})" if alert.last_error else ""
        typer.echo(f"#{alert.id} {alert.status.value}{error}\n{render_text(alert)}\n")


@alerts_app.command("resend")
def alerts_resend(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Alert ids (default: every failed one).")
    ] = None,
) -> None:
    """Send failed alerts again: back to pending, delivered by the next run."""
    from monitor.store import open_store

    repository = open_store(settings().resolved_database_url)
    resent = repository.resend_alerts(ids or None)
    if ids and len(resent) < len(ids):
        missing = sorted(set(ids) - set(resent))
        typer.secho(f"not failed (left alone): {', '.join(map(str, missing))}", err=True)
    typer.echo(f"{len(resent)} failed alert{'s' if len(resent) != 1 else ''} will be sent again")


@app.command()
def status() -> None:
    """The service at a glance: sources, backlog, alerts; exits 2 when something needs care."""
    from monitor.store import open_store
    from monitor.store.database import current_revision

    current = settings()
    repository = open_store(
        current.resolved_database_url, migrate=False, vector_store=current.vector_store
    )
    now = invocation().clock()
    state = repository.status(now)
    waiting = f"oldest from {_when(state.oldest_pending_at)}" if state.alerts_pending else ""
    stances = ", ".join(f"{n} {s}" for s, n in sorted(state.evidence_last_day.items())) or "none"
    lines = [
        f"database    {repository.engine.url.get_backend_name()} at revision "
        f"{current_revision(repository.engine)}",
        f"archive     searched with {repository.vectors.name}",
        f"sources     {state.sources} enabled, {state.sources_failing} failing, "
        f"{state.sources_disabled} disabled, {state.sources_overdue} overdue; "
        f"last success {_when(state.last_success_at)}",
        f"items       {state.items} stored, {state.items_last_day} in the last 24 h, "
        f"{state.unjudged} waiting to be judged",
        f"evidence    last 24 h: {stances}",
        f"alerts      {state.alerts_sent_last_day} sent in the last 24 h, "
        f"{state.alerts_pending} pending {waiting}".rstrip()
        + f", {state.alerts_sending} being sent, {state.alerts_failed} failed",
        *(f"watchlists  {refused}" for refused in state.watchlists_refused),
    ]
    lines.extend(_delivery_trouble(repository))
    typer.echo("\n".join(lines))
    trouble = (
        state.alerts_failed
        or state.sources_overdue
        or state.sources_disabled
        or state.watchlists_refused
    )
    if trouble or any(line.startswith("paused") for line in lines):
        typer.echo("needs care: see `monitor sources` and `monitor alerts --status failed`")
        raise typer.Exit(2)


def _delivery_trouble(repository: Repository) -> list[str]:
    """Lines on channels waiting for a fix and alerts interrupted beyond checking."""
    from monitor.notify.outbox import interrupted, waiting_for_a_fix
    from monitor.types import AlertStatus

    pending = repository.alerts(AlertStatus.PENDING, limit=1000, newest_first=True)
    paused = waiting_for_a_fix(pending)
    lines = [f"paused      {', '.join(where)}: {why}" for why, where in paused.items()]
    lost = interrupted(repository.alerts(AlertStatus.FAILED, limit=1000, newest_first=True))
    if lost:
        ids = ", ".join(str(a.id) for a in lost[:10])
        lines.append(
            f"unverified  {len(lost)} interrupted alert{'s' if len(lost) != 1 else ''} could not "
            f"be checked in Slack (#{ids}): "
            "see if they were posted, then `monitor alerts resend ID...`"
        )
    return lines


@app.command()
def mute(
    target: Annotated[str, typer.Argument(help="claim, source or story.")],
    name: Annotated[str, typer.Argument(help="Claim id, source name, or story number.")],
    duration: Annotated[str, typer.Option("--for", help="How long, e.g. 2h, 1d.")] = "1d",
    reason: Annotated[str, typer.Option(help="Shown on the muted alerts.")] = "",
) -> None:
    """Stop alerts about a claim, a source or a story for a while."""
    from monitor.store import open_store
    from monitor.types import Mute, MuteTarget
    from monitor.watchlists import read_duration

    try:
        kind = MuteTarget(target)
        length = read_duration(duration)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from None
    repository = open_store(settings().resolved_database_url)
    if kind is MuteTarget.CLAIM:
        ids = [c.id for c in repository.claims() if c.key == name]
    elif kind is MuteTarget.SOURCE:
        ids = [s.id for s in repository.sources(include_disabled=True) if s.name == name]
    else:
        ids = [int(name)] if name.isdigit() else []
    if not ids:
        typer.echo(f"error: no {kind.value} named {name!r}", err=True)
        raise typer.Exit(1)
    now = invocation().clock()
    for target_id in ids:
        repository.add_mute(Mute(kind, target_id, now + length, reason), "cli", now)
    typer.echo(f"muted {kind.value} {name} until {(now + length):%Y-%m-%d %H:%M} UTC")


@app.command()
def digest(
    watchlist: Annotated[
        str | None,
        typer.Option("--watchlist", "-w", help="Watchlist file name (without .yaml) or name."),
    ] = None,
    preview: Annotated[
        Path | None,
        typer.Option(
            help="Write the watchlist's digest as it would be now to this HTML file "
            "(and the text part next to it, .txt); sends nothing, records nothing."
        ),
    ] = None,
    send: Annotated[
        bool, typer.Option("--send", help="Send the digests due now (and retry waiting ones).")
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="With --send and --watchlist: send today's digest now, "
            "before its send time (still never twice for a day).",
        ),
    ] = False,
) -> None:
    """Daily digest emails: preview one, send those due, or list the latest (no options)."""
    from monitor.digest.deliver import make_digest_desk
    from monitor.digest.render import render_html, render_text
    from monitor.store import open_store
    from monitor.watchlists import load_directory

    current = settings()
    if (preview or force) and not watchlist:
        raise typer.BadParameter("name the watchlist", param_hint="--watchlist")
    try:
        repository = open_store(current.resolved_database_url)
        loaded = load_directory(current.watchlists, current.match_threshold)
        if loaded.watchlists:  # recipients and send times as the files say now
            repository.sync_watchlists(loaded.watchlists, now())
        desk = make_digest_desk(current, repository, invocation().clock)
        if preview is not None and watchlist:
            shown = desk.preview(watchlist)
            preview.write_text(render_html(shown), encoding="utf-8")
            preview.with_suffix(".txt").write_text(render_text(shown), encoding="utf-8")
            typer.echo(f"{shown.subject}\nwrote {preview} and {preview.with_suffix('.txt')}")
            return
        if send:
            key = desk.subscription(watchlist).watchlist_key if watchlist else None
            report = desk.send_now(key) if force and key else desk.send_due(key)
            _echo_digest_report(report)
            return
        _list_digests(repository.digests(watchlist))
    except MonitorError as err:
        fail(str(err))


def _echo_digest_report(report: DigestReport) -> None:
    for record in report.sent:
        typer.echo(f"sent: {record.watchlist_key} {record.period} (see `monitor digest`)")
    for record, error in report.retrying:
        typer.secho(
            f"waiting for the mail server: {record.watchlist_key} {record.period}: {error}",
            err=True,
            fg=typer.colors.YELLOW,
        )
    for what, error in report.failed:
        name = what if isinstance(what, str) else f"{what.watchlist_key} {what.period}"
        typer.secho(f"failed: {name}: {error}", err=True, fg=typer.colors.RED)
    if not (report.sent or report.retrying or report.failed):
        typer.echo("no digest due now")
    if report.failed:
        raise typer.Exit(1)


def _list_digests(records: list[DigestRecord]) -> None:
    if not records:
        typer.echo("no digests yet")
    for record in records:
        when = _when(record.sent_at) if record.sent_at else "not sent"
        typer.echo(
            f"{record.period} {record.watchlist_key}: {record.status.value} · {when} · "
            f"{len(record.recipients)} recipients"
        )
        for address, answer in record.refused:
            typer.echo(f"    refused {address}: {answer}")
        if record.last_error:
            typer.echo(f"    {record.last_error}")


@app.command("config")
def show_config(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Print the documentation table instead.")
    ] = False,
) -> None:
    """Print the settings in effect (secrets hidden) and the variable that sets each."""
    if markdown:
        typer.echo(settings_table())
        return
    current = settings()
    for name in Settings.model_fields:
        value = getattr(current, name)
        typer.echo(f"{env_name(name):32} {value!s}")


@watchlist_app.command("check")
def watchlist_check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories (default: MONITOR_WATCHLISTS)."),
    ] = None,
) -> None:
    """Validate watchlist files; report every problem with file, line and what is wrong."""
    from monitor.watchlists import load_directory, load_file

    current = settings()
    problems, good = [], []
    for path in paths or [current.watchlists]:
        if path.is_dir():
            report = load_directory(path, current.match_threshold)
            problems += report.problems
            good += report.watchlists
        else:
            try:
                good.append(load_file(path, current.match_threshold))
            except MonitorError as err:
                problems += getattr(err, "problems", [err])
    for watchlist in good:
        typer.echo(
            f"ok: {watchlist.path}: {watchlist.name} "
            f"({len(watchlist.claims)} claims, {len(watchlist.sources)} sources)"
        )
    for problem in problems:
        typer.secho(str(problem), err=True, fg=typer.colors.RED)
    if problems:
        raise typer.Exit(1)


@watchlist_app.command("export")
def watchlist_export(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Directory to write to (default: MONITOR_WATCHLISTS)."),
    ] = None,
) -> None:
    """Write every watchlist as stored (with edits made in the web UI) to YAML files."""
    from monitor.editing import export_watchlists
    from monitor.store import open_store

    current = settings()
    repository = open_store(current.resolved_database_url)
    for path in export_watchlists(repository, out or current.watchlists, current.match_threshold):
        typer.echo(f"wrote {path}")


users_app = typer.Typer(help="Web UI users and their API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
PASSWORD_ENV = "MONITOR_NEW_PASSWORD"


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option(help="viewer, editor or admin.")] = "viewer",
) -> None:
    """Add a user; the password comes from MONITOR_NEW_PASSWORD or a prompt."""
    import os

    from monitor.store import open_store
    from monitor.types import Role
    from monitor.web.auth import MIN_PASSWORD, hash_password

    if role not in set(Role):
        raise typer.BadParameter("viewer, editor or admin", param_hint="--role")
    password = os.environ.get(PASSWORD_ENV) or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < MIN_PASSWORD:
        fail(f"the password needs at least {MIN_PASSWORD} characters")
    repository = open_store(settings().resolved_database_url)
    if repository.user_credentials(name) is not None:
        fail(f"a user named {name!r} exists")
    now = invocation().clock()
    repository.add_user(name, hash_password(password), Role(role), now)
    repository.record_audit("cli", "user.create", f"user:{name}", None, {"role": role}, now)
    typer.echo(f"added {role} {name}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="The user the token acts as.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
) -> None:
    """Make an API token for a user and print it (it is shown only this once)."""
    from monitor.store import open_store
    from monitor.web.auth import new_api_token, token_hash

    repository = open_store(settings().resolved_database_url)
    found = repository.user_credentials(name)
    if found is None:
        raise fail(f"no user named {name!r}")
    token = new_api_token()
    now = invocation().clock()
    repository.add_api_token(found[0].id, label, token_hash(token), now)
    repository.record_audit("cli", "token.create", f"user:{name}", None, {"token": label}, now)
    typer.echo(token)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (the service also does this on start)."""
    from monitor.store.database import current_revision, make_engine, upgrade

    engine = make_engine(settings().resolved_database_url)
    try:
        upgrade(engine, revision)
    except MonitorError as err:
        fail(str(err))
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision.")]) -> None:
    """Revert database migrations down to REVISION (`base` empties the schema)."""
    from monitor.store.database import current_revision, downgrade, make_engine

    engine = make_engine(settings().resolved_database_url)
    downgrade(engine, revision)
    typer.echo(f"database at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one this version ships."""
    from monitor.store.database import current_revision, head_revision, make_engine

    engine = make_engine(settings().resolved_database_url)
    typer.echo(f"current: {current_revision(engine)}\nhead:    {head_revision()}")


stance_app = typer.Typer(help="The stance model: predict, evaluate, train (FNC-1 files).")
app.add_typer(stance_app, name="stance")
StancesOption = Annotated[
    Path | None, typer.Option("--stances", help="FNC-1 stances CSV (Headline, Body ID[, Stance]).")
]
BodiesOption = Annotated[
    Path | None, typer.Option("--bodies", help="FNC-1 bodies CSV (Body ID, articleBody).")
]
DataOption = Annotated[
    Path | None,
    typer.Option("--data", help="Directory with FNC-1 train_stances.csv and train_bodies.csv."),
]
SplitOption = Annotated[
    str,
    typer.Option(
        "--split",
        help="With --data, which part: report (claims held out from training and tuning), "
        "validation, train (the split by claim), or body (the older split by Body ID).",
    ),
]


def _stance_inputs(
    stances: Path | None, bodies: Path | None, data: Path | None, split: str
) -> tuple[list[Pair], dict[str, str], FncModel]:
    from monitor.judge.fnc import check_bodies, read_bodies, read_pairs

    current = settings()
    try:
        if data is not None:
            pairs, texts = _fnc_part(data, split)
        elif stances is not None and bodies is not None:
            pairs, texts = read_pairs(stances), read_bodies(bodies)
            check_bodies(pairs, texts, bodies)
        else:
            raise fail("give --data (with --split), or --stances and --bodies")
    except MonitorError as err:
        raise fail(str(err)) from err
    return pairs, texts, _fnc_model(current)


def _fnc_part(data: Path, split: str) -> tuple[list[Pair], dict[str, str]]:
    from monitor.judge.fnc import read_bodies, read_pairs
    from monitor.judge.splits import PARTS, split_bodies, split_by_claim

    pairs = [p for p in read_pairs(data / "train_stances.csv") if p.label is not None]
    texts = read_bodies(data / "train_bodies.csv")
    if split == "body":
        _, dev_ids = split_bodies(texts)
        return [p for p in pairs if p.body_id in dev_ids], texts
    if split not in PARTS:
        raise fail(f"--split {split!r}: choose report, validation, train or body")
    return split_by_claim(pairs).part(split), texts


def _fnc_model(current: Settings) -> FncModel:
    """The shipped stance model named by MONITOR_STANCE_MODEL (FNC-1 commands run only those)."""
    if current.stance_model == "builtin":
        from monitor.judge.builtin import BuiltinStance

        return BuiltinStance(_embedder(current))
    if current.stance_model == "crossencoder":
        from monitor.judge.cross import CrossEncoderStance

        return CrossEncoderStance(device=current.embedding_device)
    raise fail(
        f"MONITOR_STANCE_MODEL={current.stance_model}: the stance commands run the shipped "
        "models; set it to crossencoder or builtin"
    )


def _embedder(current: Settings) -> Embedder:
    from monitor.judge.embed import configured_embedder

    return configured_embedder(current)


def _progress(label: str) -> Callable[[Iterable[int]], Iterable[int]]:
    from tqdm import tqdm

    def wrap(items: Iterable[int]) -> Iterable[int]:
        bar: Iterable[int] = tqdm(list(items), desc=label, unit="batch", file=sys.stderr)
        return bar

    return wrap


@stance_app.command("predict")
def stance_predict(
    out: Annotated[Path, typer.Option("--out", help="Where to write Headline,Body ID,Stance.")],
    stances: StancesOption = None,
    bodies: BodiesOption = None,
    data: DataOption = None,
    split: SplitOption = "report",
) -> None:
    """Predict FNC-1 labels (agree/disagree/discuss/unrelated) for every row, in order."""
    from monitor.judge.fnc import write_predictions

    pairs, texts, model = _stance_inputs(stances, bodies, data, split)
    pair_ids = [(p.headline, p.body_id) for p in pairs]
    labels = model.predict_fnc(pair_ids, texts, _progress("stance"))
    write_predictions(out, pairs, labels)
    typer.echo(f"wrote {len(labels)} predictions to {out}")


@stance_app.command("eval")
def stance_eval(
    stances: StancesOption = None,
    bodies: BodiesOption = None,
    data: DataOption = None,
    split: SplitOption = "report",
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Predict and score against the gold stances: FNC-1 score, macro-F1, confusion. With
    --data, on a part of the FNC-1 train split by claim (default: the held-out report part)."""
    import json

    from monitor.judge.fnc import score

    pairs, texts, model = _stance_inputs(stances, bodies, data, split)
    if any(p.label is None for p in pairs):
        raise fail(f"{stances}: every row needs a Stance to evaluate against")
    pair_ids = [(p.headline, p.body_id) for p in pairs]
    labels = model.predict_fnc(pair_ids, texts, _progress("stance"))
    scores = score([str(p.label) for p in pairs], labels)
    typer.echo(json.dumps(scores.as_dict(), indent=2) if as_json else scores.report())


@stance_app.command("train")
def stance_train(
    data: Annotated[
        Path, typer.Option("--data", help="Directory with train_stances.csv, train_bodies.csv.")
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model (default: the package's)."),
    ] = None,
    model: Annotated[
        str, typer.Option("--model", help="crossencoder (the default model) or builtin.")
    ] = "crossencoder",
    device: Annotated[
        str | None, typer.Option("--device", help="Torch device (default: cuda if present).")
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option("--checkpoint", help="Save progress here; a run started again resumes."),
    ] = None,
) -> None:
    """Reproduce a shipped stance model (seeded) and report on its held-out split."""
    if model == "builtin":
        _train_builtin(data, out)
    elif model == "crossencoder":
        _train_crossencoder(data, out, device, checkpoint)
    else:
        raise fail(f"--model {model!r}: choose crossencoder or builtin")


def _train_crossencoder(
    data: Path, out: Path | None, device: str | None, checkpoint: Path | None
) -> None:
    import torch

    from monitor.judge.cross import MODEL_DIR
    from monitor.judge.cross_training import train
    from monitor.judge.embed import resolve_model
    from monitor.settings import DEFAULT_EMBEDDING_MODEL

    target = out or MODEL_DIR
    chosen = device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        report = train(
            data,
            target,
            Path(resolve_model(DEFAULT_EMBEDDING_MODEL)),
            device=chosen,
            checkpoint=checkpoint,
            log=lambda line: typer.echo(line, err=True),
        )
    except MonitorError as err:
        raise fail(str(err)) from err
    typer.echo(f"wrote {target} (sha256 {report.sha256})")
    typer.echo("validation (tunes the class offsets):\n" + report.validation.report())
    typer.echo("report (claims never trained or tuned on):\n" + report.report.report())


def _train_builtin(data: Path, out: Path | None) -> None:
    from monitor.judge.builtin import MANIFEST_FILE, MODEL_FILE
    from monitor.judge.training import train

    current = settings()
    target = out or MODEL_FILE
    manifest = MANIFEST_FILE if out is None else out.with_suffix(".json")
    try:
        report = train(data, _embedder(current), target, manifest, _progress("embedding sentences"))
    except MonitorError as err:
        raise fail(str(err)) from err
    typer.echo(f"wrote {target} (sha256 {report.sha256})")
    typer.echo(f"trained on {report.train_pairs} pairs; dev ({report.dev_pairs} pairs):")
    typer.echo(report.dev.report())


archive_app = typer.Typer(help="The archive of passage embeddings.", no_args_is_help=True)
app.add_typer(archive_app, name="archive")


@archive_app.command("rebuild")
def archive_rebuild(
    batch: Annotated[int, typer.Option(min=1, help="Items embedded per step.")] = 128,
) -> None:
    """Embed stored items that lack vectors of the configured embedding model (after a model
    change, or for items from before the archive): claim previews and backfills find them then.
    Items that have vectors are skipped, so an interrupted rebuild goes on where it stopped."""
    from tqdm import tqdm

    from monitor.archive import rebuild
    from monitor.store import open_store

    current = settings()
    repository = open_store(current.resolved_database_url, vector_store=current.vector_store)
    embedder = _embedder(current)
    with tqdm(total=repository.count_items(), unit="item", file=sys.stderr) as bar:
        report = rebuild(repository, embedder, batch=batch, progress=bar.update)
    typer.echo(
        f"{report.items} items read, {report.embedded} embedded ({report.passages} passages) "
        f"with {embedder.model_key}"
    )


def _service(build: Callable[..., Service]) -> Service:
    try:
        return build(settings(), clock=invocation().clock)
    except MonitorError as err:
        raise fail(str(err)) from err


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


def main() -> None:
    limit_malloc_arenas()  # before any thread starts: many fetch threads fragment the heap
    try:
        app(obj=Invocation(system_clock))
    except MonitorError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        sys.exit(1)
