"""WebSub end to end on 127.0.0.1: discovery on poll, subscription at a local hub, the hub's
verification against monitor's endpoint, and signed pushes that are stored, judged and alerted."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
from fastapi import FastAPI

from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.websub import Subscriber
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import SlackSink
from monitor.pipeline import Pipeline
from monitor.store import Repository, open_store
from monitor.types import Source, WebSubState
from monitor.watchlists import parse_watchlist
from monitor.web.websub import websub_router
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, Response, SlackAPI, serving_app
from tests.support.waiting import wait_for

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
CLAIM = "North Korea has shipped artillery shells to Russia"

WATCHLIST = """
name: desk
slack_channel: "#desk"
defaults: {{threshold: 0.5}}
sources:
  - {{name: Wire, url: "{url}"}}
claims:
  - id: dprk-shells
    text: {claim}
"""

FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Wire</title>{links}
  <entry><id>urn:{key}</id><title>{title}</title><link href="https://wire.example/{key}"/>
    <updated>2024-02-29T10:00:00Z</updated><summary>{title}.</summary></entry>
</feed>"""


def feed(links: str = "", key: str = "old", title: str = "Markets rally") -> bytes:
    return FEED.format(links=links, key=key, title=title).encode()


@dataclass(frozen=True)
class Endpoint:
    """The service's HTTP server (here serving only the WebSub routes)."""

    url: str


@dataclass
class Desk:
    """A pipeline with push configured, its WebSub endpoint, a feed server acting as hub."""

    pipeline: Pipeline
    repository: Repository
    endpoint: Endpoint
    feeds: LocalServer
    slack: SlackAPI

    @property
    def topic(self) -> str:
        return f"{self.feeds.url}/feed.xml"

    def source(self) -> Source:
        [source] = self.repository.sources()
        return source

    def hub_requests(self) -> list[dict[str, str]]:
        return [
            {k: v[0] for k, v in parse_qs(body.decode()).items()}
            for method, path, _, body in self.feeds.requests
            if method == "POST" and path == "/hub"
        ]

    def verify(self, **params: str) -> httpx.Response:
        """What the hub does after a subscription request: GET the callback with a challenge."""
        query = {"hub.mode": "subscribe", "hub.topic": self.topic, "hub.challenge": "c-42"}
        query |= params
        return httpx.get(f"{self.endpoint.url}/websub/{self.source().id}", params=query)

    def push(self, body: bytes, secret: str | None = None, method: str = "sha256") -> int:
        """What the hub does when the topic changes: POST the content, signed."""
        key = (secret or self.hub_requests()[-1]["hub.secret"]).encode()
        signature = hmac.new(key, body, getattr(hashlib, method)).hexdigest()
        headers = {
            "content-type": "application/atom+xml",
            "x-hub-signature": f"{method}={signature}",
        }
        url = f"{self.endpoint.url}/websub/{self.source().id}"
        return httpx.post(url, content=body, headers=headers).status_code


@pytest.fixture
def desk(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI, hashing_embedder: HashingEmbedder
) -> Iterator[Desk]:
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    sink = SlackSink(slack_api.token, f"{slack_api.url}/api/")
    pipeline = Pipeline(
        repository, fetcher, hashing_embedder, MentionsOnly(), sink, clock=lambda: NOW
    )

    def judge() -> None:
        pipeline.judge_pending()
        pipeline.deliver()

    app = FastAPI()
    app.include_router(websub_router(repository, lambda: NOW, on_new_items=judge))
    text = WATCHLIST.format(url=f"{feed_server.url}/feed.xml", claim=CLAIM)
    repository.sync_watchlists([parse_watchlist(text, tmp_path / "desk.yaml")], NOW)
    hub = f'<link rel="hub" href="{feed_server.url}/hub"/>'
    self_link = f'<link rel="self" href="{feed_server.url}/feed.xml"/>'
    feed_server.responses["/feed.xml"] = Response(feed(hub + self_link))
    feed_server.responses["/hub"] = Response(status=202)
    with serving_app(app) as url:
        pipeline.websub = Subscriber(repository, fetcher, url, lambda: NOW)
        yield Desk(pipeline, repository, Endpoint(url), feed_server, slack_api)
    fetcher.close()


def test_a_hub_verifies_and_pushes_and_the_desk_is_alerted(desk: Desk) -> None:
    desk.pipeline.poll(desk.source())

    [request] = desk.hub_requests()
    source = desk.source()
    assert request["hub.mode"] == "subscribe" and request["hub.topic"] == desk.topic
    assert request["hub.callback"] == f"{desk.endpoint.url}/websub/{source.id}"
    assert request["hub.lease_seconds"] == "864000"
    assert len(request["hub.secret"]) == 64 and request["hub.secret"] == source.websub_secret
    assert (source.hub_url, source.websub_state) == (f"{desk.feeds.url}/hub", WebSubState.PENDING)

    answer = desk.verify(**{"hub.lease_seconds": "3600"})
    assert (answer.status_code, answer.text) == (200, "c-42")
    source = desk.source()
    assert source.websub_state is WebSubState.ACTIVE
    assert source.websub_lease_until == NOW + timedelta(seconds=3600)

    assert desk.push(feed(key="new", title=CLAIM)) == 202
    assert desk.repository.unseen_keys(["urn:new"]) == []  # stored before the answer
    wait_for(lambda: desk.slack.posted)
    [alert] = desk.slack.posted
    assert alert["channel"] == "#desk"
    # An active subscription is not asked for again on the next poll.
    desk.pipeline.poll(desk.source())
    assert len(desk.hub_requests()) == 1


def test_verification_for_another_topic_is_refused(desk: Desk) -> None:
    desk.pipeline.poll(desk.source())
    answer = desk.verify(**{"hub.topic": "https://elsewhere.example/feed"})
    assert answer.status_code == 404
    assert desk.source().websub_state is WebSubState.PENDING


def test_a_badly_signed_push_is_acknowledged_and_dropped(desk: Desk) -> None:
    desk.pipeline.poll(desk.source())
    desk.verify()
    stored = desk.repository.count_items()

    assert desk.push(feed(key="forged", title=CLAIM), secret="not-the-secret") == 202
    assert desk.repository.count_items() == stored
    # A right signature with another accepted method is stored.
    assert desk.push(feed(key="real", title="Harvest"), method="sha1") == 202
    assert desk.repository.count_items() == stored + 1


def test_a_denial_is_recorded(desk: Desk) -> None:
    desk.pipeline.poll(desk.source())
    answer = desk.verify(**{"hub.mode": "denied", "hub.reason": "topic not allowed"})
    assert answer.status_code == 200
    source = desk.source()
    assert source.websub_state is WebSubState.DENIED
    assert "topic not allowed" in (source.websub_error or "")
    desk.pipeline.poll(source)  # not asked again within a day
    assert len(desk.hub_requests()) == 1


def test_a_feed_without_a_hub_is_not_subscribed(desk: Desk) -> None:
    desk.feeds.responses["/feed.xml"] = Response(feed())
    desk.pipeline.poll(desk.source())
    assert desk.hub_requests() == []
    source = desk.source()
    assert (source.hub_url, source.websub_state) == (None, WebSubState.NONE)
    assert desk.verify().status_code == 404


def test_a_hub_that_refuses_is_recorded_on_the_source(desk: Desk) -> None:
    desk.feeds.responses["/hub"] = Response(b"no", status=400)
    outcome = desk.pipeline.poll(desk.source())
    assert outcome.error is None
    source = desk.source()
    assert source.websub_state is WebSubState.NONE
    assert "HTTP 400" in (source.websub_error or "")
