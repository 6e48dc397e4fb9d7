"""``monitor demo``: the whole pipeline, offline, over sample feeds served from 127.0.0.1.

The feeds in ``feeds/`` are short fictional articles written for this project; their facts are
modelled on public reporting about Iranian drones and North Korean shells for Russia.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any

from monitor.settings import Settings

DEMO_PACKAGE = "monitor.demo"


class _QuietHandler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return "application/rss+xml" if str(path).endswith(".xml") else super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve_directory(directory: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free loopback port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_watchlist(base_url: str) -> str:
    """The demo watchlist's YAML with its sources pointing at ``base_url``."""
    text = resources.files(DEMO_PACKAGE).joinpath("watchlist.yaml").read_text(encoding="utf-8")
    return text.replace("{base_url}", base_url)


def run_demo(settings: Settings, database: Path | None, echo: Callable[[str], None]) -> None:
    """Serve the sample feeds, poll them once, judge, deliver, and print the alerts."""
    from monitor.app import build_service
    from monitor.notify.messages import render_text

    feeds = resources.files(DEMO_PACKAGE).joinpath("feeds")
    with (
        resources.as_file(feeds) as feeds_dir,
        serve_directory(feeds_dir) as base_url,
        tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp,
    ):
        watchlists = Path(tmp) / "watchlists"
        watchlists.mkdir()
        (watchlists / "demo.yaml").write_text(demo_watchlist(base_url), encoding="utf-8")
        db_path = database or Path(tmp) / "demo.sqlite3"
        demo_settings = settings.model_copy(
            update={
                "watchlists": watchlists,
                "database_url": f"sqlite:///{db_path.as_posix()}",
                "allow_private_networks": True,
            }
        )
        echo(f"serving sample feeds at {base_url}")
        # Without Slack the alerts are printed below, so the console sink stays quiet.
        service = build_service(demo_settings, console=lambda message: None)
        try:
            service.sync_watchlists()
            cycle = service.pipeline.run_cycle(service.repository.sources())
            alerts = service.repository.alerts(limit=1000)
        finally:
            service.close()
    new_items = sum(p.new_items for p in cycle.polled)
    echo(f"polled {len(cycle.polled)} feeds: {new_items} items, {cycle.evidence} alerts\n")
    for alert in alerts:
        echo(render_text(alert) + "\n")
    if settings.slack_bot_token:
        echo(f"{len(cycle.delivery.sent)} alerts posted to Slack.")
    else:
        echo("Set SLACK_BOT_TOKEN (and invite the bot to the channel) to post them to Slack.")
