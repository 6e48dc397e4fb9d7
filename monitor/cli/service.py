"""Running the service: `monitor run`, `worker`, `web`, `poll`, `demo`."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitor.cli.common import (
    app,
    fail,
    log,
    service_from,
    settings,
)
from monitor.errors import MonitorError

if TYPE_CHECKING:
    from monitor.app import Service


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

    service = service_from(build_service)
    _prepare_embeddings(service)
    _load_stance(service)
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
    from monitor.scheduler import RELOAD_EVERY

    service = service_from(build_service)
    _prepare_embeddings(service)
    current = settings()
    stop = threading.Event()

    def watch_files() -> None:
        while not stop.is_set():
            service.sync_if_changed()
            stop.wait(RELOAD_EVERY.total_seconds())

    threading.Thread(target=watch_files, name="reload-watchlists", daemon=True).start()
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


def _prepare_embeddings(service: Service) -> None:
    """Make the embedding model's ONNX export now if it is missing, so that a first start
    exports (and logs it) before any work, and an export that cannot be made stops the start
    with its reason instead of failing every judging run."""
    from monitor.app import prepare_embeddings

    try:
        entry = prepare_embeddings(service.settings)
    except MonitorError as err:
        service.close()
        raise fail(str(err)) from err
    if entry is not None:
        current = service.settings
        log.info(
            "embedding model %s on ONNX Runtime (%s): export in %s",
            current.embedding_model,
            current.embedding_backend,
            entry,
        )


def _load_stance(service: Service) -> None:
    """Load the stance model before any work (a process that judges needs it on its first
    run), logging how long it took; a model that cannot be loaded stops the start with its
    reason instead of failing every judging run."""
    started = time.perf_counter()
    try:
        loaded = service.load_stance()
    except MonitorError as err:
        service.close()
        raise fail(f"MONITOR_STANCE_MODEL={service.settings.stance_model}: {err}") from err
    if loaded is not None:
        log.info("stance model %s loaded in %.1f s", loaded, time.perf_counter() - started)


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

    service = service_from(build_service)
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
