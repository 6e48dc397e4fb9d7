"""A desk for the web tests: a watchlist file, an archive of judged items (some hostile), users
of every role, and the web app built on them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from monitor.editing import Editor
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.judge.stance import MentionsOnly
from monitor.notify.slack import ConsoleSink
from monitor.pipeline import Pipeline
from monitor.store import Repository, open_store
from monitor.types import FeedEntry, Role
from monitor.watchlists import load_directory
from monitor.web.app import create_app
from monitor.web.auth import hash_password, new_api_token, token_hash
from monitor.web.context import WebContext
from tests.support.databases import database_url
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, Response

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
PASSWORD = "correct horse battery"
HOSTILE_TITLE = '<script>alert("title")</script> Drones <b onmouseover="alert(2)">hover</b>'
HOSTILE_TEXT = (
    "Iran supplies Shahed attack drones to Russia, officials said. "
    '<img src=x onerror="alert(1)"> More text about the drones follows here.'
)

WATCHLIST = """\
name: Arms desk
slack_channel: "#arms"
defaults: {threshold: 0.5}
sources:
  - name: Wire
    url: "%s/feed.xml"
claims:
  - id: dprk-shells
    text: North Korea is shipping artillery shells to Russia
"""


@dataclass
class WebDesk:
    repository: Repository
    app: FastAPI
    watchlists: Path
    tokens: dict[Role, str]
    fetcher: Fetcher

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)


def make_desk(tmp_path: Path, feed_url: str, *, secure_cookies: bool = False) -> WebDesk:
    """The desk: one watchlist, an archive of three judged items, users and tokens."""
    repository = open_store(database_url(tmp_path / "web.sqlite3"))
    watchlists = tmp_path / "watchlists"
    watchlists.mkdir()
    (watchlists / "arms.yaml").write_text(WATCHLIST % feed_url)
    repository.sync_watchlists(load_directory(watchlists).watchlists, NOW)
    embedder = HashingEmbedder()
    fetcher = Fetcher(FetchPolicy(user_agent="t", allow_private=True))
    pipeline = Pipeline(
        repository,
        fetcher,
        embedder,
        MentionsOnly(),
        ConsoleSink(lambda m: None),
        clock=lambda: NOW,
    )
    [source] = repository.sources()
    entries = [
        FeedEntry("k1", "javascript:alert(3)", HOSTILE_TITLE, HOSTILE_TEXT, NOW),
        FeedEntry(
            "k2",
            "https://wire.example/shells",
            "North Korea ships artillery shells to Russia",
            "North Korea is shipping artillery shells to Russia by rail, satellite images show.",
            NOW,
        ),
        FeedEntry(
            "k3", "https://wire.example/rain", "Rain", "Heavy rain is expected on Monday.", NOW
        ),
    ]
    repository.add_items(source.id, entries, NOW)
    pipeline.judge_pending()  # stores the passage vectors: the archive previews search
    editor = Editor(repository, embedder, MentionsOnly(), fetcher, watchlists, 0.6, lambda: NOW)
    context = WebContext(
        repository=repository,
        editor=editor,
        clock=lambda: NOW,
        secret_key="test-secret",
        secure_cookies=secure_cookies,
    )
    tokens = {}
    for role in Role:
        user = repository.add_user(role.value, hash_password(PASSWORD), role, NOW)
        tokens[role] = new_api_token()
        repository.add_api_token(user.id, "test", token_hash(tokens[role]), NOW)
    return WebDesk(repository, create_app(context), watchlists, tokens, fetcher)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign ``name`` in; returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": token, "next": "/"}
    )
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


@contextmanager
def desk_with_feed(
    tmp_path: Path, feed_server: LocalServer, path: str, rss: bytes
) -> Iterator[WebDesk]:
    """A desk whose feed server also serves ``rss`` at ``path`` (a source to add)."""
    feed_server.responses[path] = Response(rss, headers={"content-type": "application/rss+xml"})
    desk = make_desk(tmp_path, feed_server.url)
    try:
        yield desk
    finally:
        desk.fetcher.close()


def bearer(desk: WebDesk, role: Role) -> dict[str, str]:
    """The API header of the desk's token for ``role``."""
    return {"Authorization": f"Bearer {desk.tokens[role]}"}


# A feed with one harmless item, for desks that need a second source.
NEW_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>New</title>
<item><guid>n1</guid><title>Hello</title><link>https://new.example/1</link></item>
</channel></rss>"""


def preview_save_and_backfill_a_claim(desk: WebDesk) -> None:
    """An editor previews a new claim, saves it to YAML and it is backfilled without alerts
    (the same story on every archive backend)."""
    client = desk.client()
    token = sign_in(client, "editor")
    form = {
        "csrf_token": token,
        "new": "1",
        "watchlist": "arms",
        "id": "",
        "text": "Iran supplies Shahed attack drones to Russia",
        "paraphrases": "Tehran sends drones to Moscow\n",
        "verdict": "disputed",
        "notes": "Watch the <denials>",
        "threshold": "0.5",
    }
    preview = client.post("/claims/save", data=form | {"action": "preview"})
    assert preview.status_code == 200
    assert "1 archived items would match" in preview.text
    assert "&lt;script&gt;" in preview.text and "<script" not in preview.text
    assert desk.repository.claims("arms")[-1].key == "dprk-shells"  # nothing saved yet

    saved = client.post("/claims/save", data=form | {"action": "save"})
    assert saved.status_code == 303
    page = client.get(saved.headers["location"])
    assert "1 archived items recorded as evidence" in page.text
    assert "recorded without an alert" in page.text
    claim = desk.repository.claims("arms")[-1]
    assert claim.key == "iran-supplies-shahed-attack-drones-to-russia"
    # Old news alerts nobody: the one alert is the first claim's, from judging the items.
    assert [a.claim_key for a in desk.repository.alerts()] == ["dprk-shells"]
    [watchlist] = load_directory(desk.watchlists).watchlists
    assert watchlist.claims[-1] == claim.spec
    assert watchlist.claims[-1].notes == "Watch the <denials>"
    [entry] = desk.repository.audit_log(target=f"claim:arms/{claim.key}")
    assert (entry.actor, entry.action, entry.before) == ("editor", "claim.create", None)
    assert entry.after is not None and entry.after["verdict"] == "disputed"
    assert client.get("/").text.count("Iran supplies Shahed attack drones to Russia") >= 1
