"""The desk's view: `monitor sources`, `alerts`, `status`, `mute`, `digest`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    app,
    fail,
    format_moment,
    invocation,
    now,
    settings,
)
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.digest.deliver import DigestReport
    from monitor.store import Repository
    from monitor.types import DigestRecord, Source


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
        f"    {interval} · last success {format_moment(source.last_success_at)} · "
        f"next poll {format_moment(source.next_poll_at)}",
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
    waiting = (
        f"oldest from {format_moment(state.oldest_pending_at)}" if state.alerts_pending else ""
    )
    stances = ", ".join(f"{n} {s}" for s, n in sorted(state.evidence_last_day.items())) or "none"
    lines = [
        f"database    {repository.engine.url.get_backend_name()} at revision "
        f"{current_revision(repository.engine)}",
        f"archive     searched with {repository.vectors.name}",
        f"sources     {state.sources} enabled, {state.sources_failing} failing, "
        f"{state.sources_disabled} disabled, {state.sources_overdue} overdue; "
        f"last success {format_moment(state.last_success_at)}",
        f"items       {state.items} stored, {state.items_last_day} in the last 24 h, "
        f"{state.unjudged} waiting to be judged",
        f"evidence    last 24 h: {stances}; {state.near_misses_waiting} near misses waiting "
        "for review",
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
    from monitor.app import make_digest_desk
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
        when = format_moment(record.sent_at) if record.sent_at else "not sent"
        typer.echo(
            f"{record.period} {record.watchlist_key}: {record.status.value} · {when} · "
            f"{len(record.recipients)} recipients"
        )
        for address, answer in record.refused:
            typer.echo(f"    refused {address}: {answer}")
        if record.last_error:
            typer.echo(f"    {record.last_error}")
