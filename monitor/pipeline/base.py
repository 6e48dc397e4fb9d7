"""What the pipeline's parts share: the services it is built from, and this process's name."""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from monitor.clock import Clock
from monitor.ingest.fetch import Fetcher
from monitor.ingest.pages import ARTICLES_PER_POLL
from monitor.ingest.parsing import FeedReader, InlineReader
from monitor.ingest.websub import Subscriber
from monitor.judge.embed import Embedder
from monitor.judge.relevance import SIMILARITY_ONLY, Relevance
from monitor.judge.stance import StanceClassifier
from monitor.notify.outbox import Outbox
from monitor.notify.slack import AlertSink
from monitor.store import Repository


def default_worker() -> str:
    """This process's name in leases: host name and process id (stable in a container)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class PipelineBase:
    """The services polling, judging and delivering work with (built by :mod:`monitor.app`)."""

    def __init__(
        self,
        repository: Repository,
        fetcher: Fetcher,
        embedder: Embedder,
        stance: StanceClassifier,
        sink: AlertSink,
        *,
        clock: Clock,
        concurrency: int = 8,
        articles_per_poll: int = ARTICLES_PER_POLL,
        websub: Subscriber | None = None,
        outbox: Outbox | None = None,
        lease: timedelta = timedelta(minutes=10),
        reader: FeedReader | None = None,
        worker: str | None = None,
        relevance: Relevance = SIMILARITY_ONLY,
    ) -> None:
        self.repository = repository
        self.fetcher = fetcher
        self.embedder = embedder
        self.stance = stance
        self.sink = sink
        self.clock = clock
        self.concurrency = concurrency
        self.articles_per_poll = articles_per_poll
        self.websub = websub
        self.outbox = outbox or Outbox(repository, sink, clock)
        self.lease = lease  # how long a batch being judged is held from other workers
        self.worker = worker or default_worker()  # names this process in the leases it holds
        self.reader = reader or InlineReader()  # parses feeds (maybe in another process)
        # Which candidates are evidence: the composition root pairs it with the classifier.
        self.relevance = relevance
        self._judging = threading.Lock()
        self._delivering = threading.Lock()
