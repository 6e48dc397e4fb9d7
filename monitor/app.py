"""The composition root: build the running service's parts from settings."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.alerting import near_miss_expiry
from monitor.clock import Clock, system_clock
from monitor.digest.deliver import DigestDesk
from monitor.digest.send import SmtpConfig, SmtpSender
from monitor.editing import Editor
from monitor.errors import ConfigError
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.parsing import make_reader
from monitor.ingest.websub import Subscriber
from monitor.judge.builtin import BuiltinStance
from monitor.judge.cross import is_model_dir
from monitor.judge.embed import CachedEmbedder, Embedder, OnnxEmbedder, shared_embedder
from monitor.judge.nli import NliStance
from monitor.judge.relevance import Relevance, for_model
from monitor.judge.stance import LoadsModel, MentionsOnly, StanceClassifier
from monitor.notify.feedback import FeedbackHandler
from monitor.notify.messages import SlackMessage
from monitor.notify.outbox import Outbox
from monitor.notify.slack import AlertSink, ConsoleSink, SlackSink
from monitor.pipeline import Pipeline
from monitor.settings import Settings
from monitor.store import Repository, open_store
from monitor.watchlists import LoadReport, load_directory

if TYPE_CHECKING:
    from fastapi import FastAPI

    from monitor.web.server import WebServer

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The wired-up parts a front end (CLI, scheduler, web) works with."""

    settings: Settings
    repository: Repository
    pipeline: Pipeline
    editor: Editor
    digests: DigestDesk
    feedback: FeedbackHandler | None = None
    websub: Subscriber | None = None
    clock: Clock = system_clock
    stance: StanceClassifier | None = None  # the pipeline's and the editor's
    _files_seen: tuple[tuple[str, float], ...] | None = field(default=None, init=False, repr=False)

    def sync_watchlists(self, directory: Path | None = None) -> LoadReport:
        """Load watchlist files and store what loaded; problems are logged and returned."""
        report = load_directory(
            directory or self.settings.watchlists, self.settings.match_threshold
        )
        for problem in report.problems:
            log.error("watchlist problem: %s", problem)
        if report.watchlists:
            origin = f"the files on {socket.gethostname()}:{os.getpid()}"
            summary = self.repository.sync_watchlists(report.watchlists, self.clock(), origin)
            for refused in summary.refused:
                log.error("watchlist sync refused: %s", refused)
            log.info(
                "watchlists loaded: %d (%d claims, %d sources)",
                summary.watchlists,
                summary.claims,
                summary.sources,
            )
        return report

    def sync_if_changed(self, *, force: bool = False) -> bool:
        """Load the watchlist files if any changed since the last look (or ``force``); never
        where ``MONITOR_WATCHLIST_SYNC`` is off. True when it loaded them. The scheduler's job
        and ``monitor web``'s watcher both call it."""
        if not self.settings.watchlist_sync:
            return False
        seen = files_stamp(self.settings.watchlists)
        if not force and seen == self._files_seen:
            return False
        self._files_seen = seen
        self.sync_watchlists()
        return True

    def load_stance(self) -> str | None:
        """Load the stance model now rather than on the first judging run (``monitor run`` and
        ``worker`` do at start; ``web`` does not judge): what was loaded, or None for a
        classifier without a model. A ModelError, naming the model, if it cannot be loaded."""
        return self.stance.load() if isinstance(self.stance, LoadsModel) else None

    def expire_near_misses(self) -> int:
        """Forget the near misses nobody reviewed within ``MONITOR_NEAR_MISS_DAYS``; how many
        (the scheduler's hourly job)."""
        cutoff = near_miss_expiry(self.clock(), self.settings.near_miss_days)
        return self.repository.expire_near_misses(cutoff) if cutoff is not None else 0

    def web_app(self, on_new_items: Callable[[], None] = lambda: None) -> FastAPI:
        """The HTTP app: web UI, REST API and WebSub endpoint. ``on_new_items`` runs after a
        WebSub push stored new items (``monitor run`` wakes its judge there)."""
        from monitor.web.app import create_app
        from monitor.web.auth import load_secret_key
        from monitor.web.context import WebContext
        from monitor.web.metrics import MetricsAccess

        settings = self.settings
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        context = WebContext(
            repository=self.repository,
            editor=self.editor,
            clock=self.clock,
            secret_key=load_secret_key(secret, settings.data_dir),
            default_threshold=settings.match_threshold,
            session_lifetime=timedelta(hours=settings.session_hours),
            secure_cookies=settings.secure_cookies,
            max_push_bytes=settings.max_response_bytes,
            on_new_items=on_new_items,
            feedback=self.feedback,
            metrics_access=MetricsAccess.of(
                settings.metrics_allow,
                settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            ),
        )
        return create_app(context)

    def web_server(self, on_new_items: Callable[[], None] = lambda: None) -> WebServer:
        """The HTTP server (not yet started) on ``MONITOR_HTTP_HOST``:``MONITOR_HTTP_PORT``."""
        from monitor.web.server import WebServer

        app = self.web_app(on_new_items)
        return WebServer(app, self.settings.http_host, self.settings.http_port)

    def close(self) -> None:
        self.pipeline.fetcher.close()
        self.pipeline.reader.close()
        self.repository.engine.dispose()


def files_stamp(directory: Path) -> tuple[tuple[str, float], ...]:
    """The watchlist files of ``directory`` and when each last changed."""
    if not directory.is_dir():
        return ()
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    return tuple((str(f), f.stat().st_mtime) for f in files)


def make_embedder(settings: Settings) -> Embedder:
    """The process-wide embedder the settings ask for (model, backend, device, batch size)."""
    return shared_embedder(
        settings.embedding_model,
        settings.embedding_device,
        settings.embedding_batch_size,
        backend=settings.embedding_backend,
        cache_dir=settings.resolved_embedding_cache_dir,
        threads=settings.embedding_threads,
    )


def prepare_embeddings(settings: Settings) -> Path | None:
    """Find the embedding model's ONNX export, or make it (the slow part of a first start);
    its directory, or None for the torch backend, which needs none."""
    embedder = make_embedder(settings)
    return embedder.export() if isinstance(embedder, OnnxEmbedder) else None


def make_digest_desk(settings: Settings, repository: Repository, clock: Clock) -> DigestDesk:
    """The digest service: the SMTP server and the sender address from the settings."""
    if settings.smtp_ssl and settings.smtp_starttls:
        raise ConfigError("smtp_ssl and smtp_starttls: choose one (465: ssl, 587: starttls)")
    password = settings.smtp_password
    config = SmtpConfig(
        host=settings.smtp_host,
        port=settings.smtp_port,
        starttls=settings.smtp_starttls,
        ssl=settings.smtp_ssl,
        username=settings.smtp_username,
        password=password.get_secret_value() if password is not None else None,
        timeout=settings.smtp_timeout,
    )
    return DigestDesk(repository, SmtpSender(config), settings.mail_from, clock)


def make_feedback(
    settings: Settings, repository: Repository, sink: AlertSink, clock: Clock
) -> FeedbackHandler | None:
    """Slack's feedback buttons: only with a signing secret to check their requests."""
    secret = settings.slack_signing_secret
    if secret is None or not secret.get_secret_value():
        return None
    return FeedbackHandler(repository, sink, secret.get_secret_value(), clock)


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
    if settings.stance_model == "crossencoder" or is_model_dir(settings.stance_model):
        from monitor.judge.cross import MODEL_DIR, CrossEncoderStance

        shipped = settings.stance_model == "crossencoder"
        return CrossEncoderStance(
            MODEL_DIR if shipped else Path(settings.stance_model),
            device=settings.embedding_device,
        )
    return NliStance(
        settings.stance_model,
        settings.embedding_device,
        min_confidence=settings.stance_min_confidence,
    )


def make_relevance(settings: Settings) -> Relevance:
    """How candidates become evidence: calibrated on the stance model's relatedness; the
    similarity alone for classifiers that cannot tell relatedness."""
    tuned = is_model_dir(settings.stance_model)  # a cross-encoder tuned by the desk
    decision = for_model("crossencoder" if tuned else settings.stance_model)
    return replace(decision, review_band=settings.review_band)


def build_service(
    settings: Settings,
    *,
    console: Callable[[SlackMessage], None] | None = None,
    clock: Clock = system_clock,
) -> Service:
    """Open (and migrate) the database and build every service from ``settings``, each given
    only the settings it needs.

    ``clock`` is the one clock every part of the service reads "now" from.
    """
    repository = open_store(settings.resolved_database_url, vector_store=settings.vector_store)
    log.info("archive search: %s", repository.vectors.name)
    fetcher = Fetcher(
        FetchPolicy(
            user_agent=settings.user_agent,
            timeout=settings.fetch_timeout,
            max_bytes=settings.max_response_bytes,
            max_redirects=settings.max_redirects,
            allow_private=settings.allow_private_networks,
        )
    )
    embedder = CachedEmbedder(make_embedder(settings))
    stance = make_stance(settings, embedder)
    relevance = make_relevance(settings)
    sink = make_sink(settings, console)
    signing = settings.slack_signing_secret
    outbox = Outbox(
        repository,
        sink,
        clock,
        interactive=bool(signing and signing.get_secret_value()),
        pace=settings.slack_pace,
    )
    websub = (
        Subscriber(repository, fetcher, settings.public_url, clock) if settings.public_url else None
    )
    pipeline = Pipeline(
        repository,
        fetcher,
        embedder,
        stance,
        sink,
        concurrency=settings.fetch_concurrency,
        websub=websub,
        outbox=outbox,
        reader=make_reader(settings.parse_processes),
        lease=timedelta(seconds=settings.lease),
        clock=clock,
        worker=settings.worker_name,
        relevance=relevance,
    )
    editor = Editor(
        repository,
        embedder,
        stance,
        fetcher,
        settings.watchlists,
        settings.match_threshold,
        clock,
        relevance=relevance,
    )
    return Service(
        settings,
        repository,
        pipeline,
        editor,
        make_digest_desk(settings, repository, clock),
        feedback=make_feedback(settings, repository, sink, clock),
        websub=websub,
        clock=clock,
        stance=stance,
    )
