"""A wire's RSS feed of (title, body) stories, and a pipeline that reads it on 127.0.0.1 with a
stance model the test chooses (the hashing embedder, SQLite or the test PostgreSQL, a local
server speaking the Slack Web API)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.relevance import Relevance
from monitor.judge.stance import StanceClassifier
from monitor.notify.slack import SlackSink
from monitor.pipeline import Pipeline
from monitor.store import Repository, open_store
from monitor.watchlists import parse_watchlist
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.servers import SlackAPI


def rss(*items: tuple[str, str]) -> bytes:
    """A feed of the stories, linked https://wire.example/0, /1, ..."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>https://wire.example/{n}</link>"
        f"<guid>https://wire.example/{n}</guid><description>{escape(b)}</description></item>"
        for n, (t, b) in enumerate(items)
    )
    return f'<rss version="2.0"><channel><title>Wire</title>{entries}</channel></rss>'.encode()


def wire_desk(
    tmp_path: Path,
    watchlist: str,
    slack_api: SlackAPI,
    stance: StanceClassifier,
    relevance: Relevance,
    now: datetime,
) -> tuple[Repository, Pipeline]:
    """A stored ``watchlist`` (YAML text) and the pipeline that judges its sources' items."""
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    pipeline = Pipeline(
        repository,
        Fetcher(FetchPolicy(user_agent="t", allow_private=True)),
        HashingEmbedder(),
        stance,
        SlackSink(slack_api.token, f"{slack_api.url}/api/"),
        clock=lambda: now,
        relevance=relevance,
    )
    repository.sync_watchlists([parse_watchlist(watchlist, tmp_path / "arms.yaml")], now)
    return repository, pipeline
