"""The composition root: build the running service's parts from settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.websub import Subscriber
from monitor.judge.builtin import BuiltinStance
from monitor.judge.embed import CachedEmbedder, Embedder, shared_embedder
from monitor.judge.nli import NliStance
from monitor.judge.stance import MentionsOnly, StanceClassifier
from monitor.notify.messages import SlackMessage
from monitor.notify.outbox import Outbox
from monitor.notify.slack import AlertSink, ConsoleSink, SlackSink
from monitor.pipeline import Pipeline, utcnow
from monitor.settings import Settings
from monitor.store import Repository, open_store
from monitor.watchlists import LoadReport, load_directory
from monitor.web.websub import WebSubServer

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The wired-up parts a front end (CLI, scheduler, web) works with."""

    settings: Settings
    repository: Repository
    pipeline: Pipeline

    def sync_watchlists(self, directory: Path | None = None) -> LoadReport:
        """Load watchlist files and store what loaded; problems are logged and returned."""
        report = load_directory(
            directory or self.settings.watchlists, self.settings.match_threshold
        )
        for problem in report.problems:
            log.error("watchlist problem: %s", problem)
        if report.watchlists:
            summary = self.repository.sync_watchlists(report.watchlists, utcnow())
            log.info(
                "watchlists loaded: %d (%d claims, %d sources)",
                summary.watchlists,
                summary.claims,
                summary.sources,
            )
        return report

    def websub_server(self, on_new_items: Callable[[], None]) -> WebSubServer | None:
        """The WebSub endpoint (not yet started) when ``MONITOR_PUBLIC_URL`` is set, else None."""
        if not self.settings.public_url:
            return None
        return WebSubServer(
            self.repository,
            host=self.settings.http_host,
            port=self.settings.http_port,
            max_bytes=self.settings.max_response_bytes,
            clock=utcnow,
            on_new_items=on_new_items,
        )

    def close(self) -> None:
        self.pipeline.fetcher.close()
        self.repository.engine.dispose()


def make_sink(
    settings: Settings, console: Callable[[SlackMessage], None] | None = None
) -> AlertSink:
    """Slack when a bot token is configured, otherwise the console/log."""
    if settings.slack_bot_token is not None and settings.slack_bot_token.get_secret_value():
        return SlackSink(settings.slack_bot_token.get_secret_value(), settings.slack_api_url)
    return ConsoleSink(console)


def make_stance(settings: Settings, embedder: Embedder) -> StanceClassifier:
    """The stance classifier named by ``MONITOR_STANCE_MODEL``."""
    if settings.stance_model == "none":
        return MentionsOnly()
    if settings.stance_model == "builtin":
        return BuiltinStance(embedder)
    return NliStance(
        settings.stance_model,
        settings.embedding_device,
        min_confidence=settings.stance_min_confidence,
    )


def build_service(
    settings: Settings, *, console: Callable[[SlackMessage], None] | None = None
) -> Service:
    """Open (and migrate) the database and wire the pipeline from ``settings``."""
    repository = open_store(settings.resolved_database_url)
    fetcher = Fetcher(
        FetchPolicy(
            user_agent=settings.user_agent,
            timeout=settings.fetch_timeout,
            max_bytes=settings.max_response_bytes,
            max_redirects=settings.max_redirects,
            allow_private=settings.allow_private_networks,
        )
    )
    embedder = CachedEmbedder(
        shared_embedder(
            settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
        )
    )
    sink = make_sink(settings, console)
    signing = settings.slack_signing_secret
    outbox = Outbox(
        repository,
        sink,
        utcnow,
        interactive=bool(signing and signing.get_secret_value()),
        pace=settings.slack_pace,
    )
    pipeline = Pipeline(
        repository,
        fetcher,
        embedder,
        make_stance(settings, embedder),
        sink,
        concurrency=settings.fetch_concurrency,
        outbox=outbox,
    )
    if settings.public_url:
        pipeline.websub = Subscriber(repository, fetcher, settings.public_url, utcnow)
    return Service(settings, repository, pipeline)
