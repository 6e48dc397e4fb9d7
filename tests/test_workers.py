"""Several `monitor worker` processes on one PostgreSQL database.

Each due source is polled by exactly one worker, alerts are posted once, and when a worker is
killed in the middle of a poll its lease runs out and another worker finishes the job.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.databases import backend, database_url
from tests.support.models import tiny_sentence_model
from tests.support.servers import LocalServer, Response, SlackAPI
from tests.support.waiting import wait_for

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="several workers need PostgreSQL (MONITOR_TEST_POSTGRES)"
)

FEEDS = 6
ITEM = """<item><title>Report {feed}-{n}</title><link>https://news.example/{feed}/{n}</link>
<guid>{feed}-{n}</guid><description>North Korea is shipping artillery shells to Russia.
</description></item>"""

WATCHLIST = """
name: Workers desk
slack_channel: "#workers"
alerts: {{per_claim_per_hour: 1000, per_channel_per_hour: 1000}}
defaults: {{poll_interval: 60s, threshold: 0.0}}
sources:
{sources}
claims:
  - id: shells
    text: North Korea is shipping artillery shells to Russia
"""


def feed(name: str) -> bytes:
    items = "".join(ITEM.format(feed=name, n=n) for n in (1, 2))
    return f'<rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


class SlowOnce:
    """The first request hangs (the worker polling it gets killed); later ones answer."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.calls = 0
        self.first_arrived = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        self.calls += 1
        if self.calls == 1:
            self.first_arrived.set()
            time.sleep(60)
            return
        LocalServer.write(
            handler, Response(self.body, headers={"content-type": "application/rss+xml"})
        )


@pytest.fixture
def workers_env(tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI) -> dict[str, str]:
    sources = "\n".join(
        f'  - {{name: "Feed {i}", url: "{feed_server.url}/f{i}.xml"}}' for i in range(FEEDS)
    )
    sources += f'\n  - {{name: "Slow", url: "{feed_server.url}/slow.xml"}}'
    for i in range(FEEDS):
        feed_server.responses[f"/f{i}.xml"] = Response(feed(f"f{i}"))
    watchlists = tmp_path / "watchlists"
    watchlists.mkdir()
    (watchlists / "desk.yaml").write_text(WATCHLIST.format(sources=sources))
    return {
        "MONITOR_DATABASE_URL": database_url(tmp_path / "workers.sqlite3"),
        "MONITOR_WATCHLISTS": str(watchlists),
        "MONITOR_EMBEDDING_MODEL": str(tiny_sentence_model(tmp_path / "model")),
        "MONITOR_STANCE_MODEL": "none",
        "MONITOR_LEASE": "3",
        "MONITOR_DELIVER_INTERVAL": "1",
        "SLACK_BOT_TOKEN": slack_api.token,
        "MONITOR_SLACK_API_URL": f"{slack_api.url}/api/",
        "MONITOR_SLACK_PACE": "0",
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def start_worker(
    workers_env: dict[str, str], tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "worker"],
            env={**os.environ, **workers_env, "OMP_NUM_THREADS": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_workers_share_sources_and_survive_a_killed_worker(
    workers_env: dict[str, str],
    start_worker: Callable[[], subprocess.Popen[bytes]],
    feed_server: LocalServer,
    slack_api: SlackAPI,
) -> None:
    slow = SlowOnce(feed("slow"))
    feed_server.responses["/slow.xml"] = slow
    workers = [start_worker() for _ in range(3)]
    engine = create_engine(workers_env["MONITOR_DATABASE_URL"])

    assert slow.first_arrived.wait(120), "no worker polled the slow feed"
    with engine.connect() as connection:
        owner = connection.execute(
            text("SELECT lease_owner FROM sources WHERE name = 'Slow'")
        ).scalar_one()
    pid = int(owner.rsplit(":", 1)[1])
    [victim] = [w for w in workers if w.pid == pid]
    victim.kill()  # dies mid-poll, holding the lease
    with engine.connect() as connection:
        held = set(
            connection.execute(
                text("SELECT url FROM sources WHERE lease_owner = :owner"), {"owner": owner}
            ).scalars()
        )

    # Another worker takes the slow feed over once the lease has run out, and posts its items.
    wait_for(lambda: slow.calls >= 2, 60, "another worker to poll the slow feed")
    wait_for(lambda: len(slack_api.posted) >= 2 * (FEEDS + 1), 60, "every item's alert")
    time.sleep(3)  # a moment for any duplicate to show up

    fetched = feed_server.paths_requested()
    for i in range(FEEDS):  # one poll per interval, whichever worker made it...
        url = f"{feed_server.url}/f{i}.xml"
        # ...and one more for a feed the killed worker held (it may have fetched it already).
        assert fetched.count(f"/f{i}.xml") == (2 if url in held else 1) or (
            url in held and fetched.count(f"/f{i}.xml") == 1
        ), (fetched, held)
    assert slow.calls == 2
    posted = [re.findall(r"<(http[^|]+)\|", str(m["blocks"]))[0] for m in slack_api.posted]
    assert len(posted) == 2 * (FEEDS + 1) and len(set(posted)) == len(posted)
    with engine.connect() as connection:
        items = connection.execute(text("SELECT count(*) FROM items")).scalar_one()
        unjudged = connection.execute(
            text("SELECT count(*) FROM items WHERE judged_at IS NULL")
        ).scalar_one()
    assert (items, unjudged) == (2 * (FEEDS + 1), 0)
    engine.dispose()
