"""Watchlists in the web UI and the API: create one (file written, validated, stored, listed),
change its settings, remove claims and sources (confirmation, CSRF, roles, audit, evidence
kept, the last one refused), and a failed write that leaves the file as it was."""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.errors import WatchlistError
from monitor.types import ClaimSpec, Role, SourceKind, SourceSpec
from monitor.watchlists import load_file, parse_duration, parse_watchlist
from tests.support.servers import LocalServer
from tests.support.web_desk import NOW, WebDesk, bearer, desk_with_feed, sign_in

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Health</title>
<item><guid>h1</guid><title>Measles</title><link>https://health.example/1</link></item>
</channel></rss>"""


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    with desk_with_feed(tmp_path, feed_server, "/health.xml", RSS) as desk:
        yield desk


def new_watchlist_form(token: str, feed_url: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "key": "health",
        "name": "Health desk",
        "slack_channel": "#health",
        "timezone": "Europe/Berlin",
        "digest_recipients": "desk@example.org\nchief@example.org",
        "digest_send_at": "06:30",
        "per_claim_per_hour": "6",
        "per_channel_per_hour": "30",
        "source_name": "Health wire",
        "source_url": f"{feed_url}/health.xml",
        "source_kind": "feed",
        "source_poll_interval": "30m",
        "claim_text": "Measles cases are rising in Europe",
        "claim_paraphrases": "More measles in Europe\n",
    }


def test_an_editor_creates_a_watchlist_with_its_first_source_and_claim(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    assert client.get("/watchlists/new").status_code == 200
    answer = client.post("/watchlists", data=new_watchlist_form(token, feed_server.url))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/watchlists/health?created=1"

    path = desk.watchlists / "health.yaml"
    written = load_file(path)  # the file validates like one written by hand
    assert (written.name, written.slack_channel, written.timezone) == (
        "Health desk",
        "#health",
        "Europe/Berlin",
    )
    assert written.digest.recipients == ("desk@example.org", "chief@example.org")
    assert written.digest.send_at.strftime("%H:%M") == "06:30"
    [source] = written.sources
    assert source.url.endswith("/health.xml") and source.poll_interval == parse_duration("30m")
    [claim] = written.claims
    assert claim.key == "measles-cases-are-rising-in-europe"
    assert claim.paraphrases == ("More measles in Europe",)

    stored = desk.repository.watchlist("health")
    assert stored is not None and stored.fingerprint == written.fingerprint
    assert [c.key for c in desk.repository.claims("health")] == [claim.key]
    assert any(s.url == source.url for s in desk.repository.sources())  # polled from now on
    page = client.get("/watchlists/health?created=1")
    assert "Watchlist created" in page.text and "Measles cases are rising" in page.text
    listing = client.get("/watchlists").text
    assert "Health desk" in listing and "Arms desk" in listing
    [entry] = desk.repository.audit_log(target="watchlist:health")
    assert (entry.actor, entry.action, entry.before) == ("editor", "watchlist.create", None)
    assert entry.after is not None and entry.after["claim"] == claim.key


def test_a_new_watchlist_with_mistakes_names_the_fields_and_writes_nothing(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    form = new_watchlist_form(token, feed_server.url)
    bad = form | {"timezone": "Mars/Olympus", "slack_channel": "not a channel!"}
    answer = client.post("/watchlists", data=bad | {"digest_recipients": "nobody"})
    assert answer.status_code == 422
    for field in ("timezone", "slack_channel", "digest_recipients"):  # named as in the form
        assert f"{field}: " in answer.text
    assert "Measles cases are rising in Europe" in answer.text  # the form keeps what was typed
    broken = client.post("/watchlists", data=form | {"source_url": f"{feed_server.url}/gone"})
    assert broken.status_code == 422 and "source_url: the test fetch failed" in broken.text
    missing = client.post("/watchlists", data=form | {"key": "Bad Key", "claim_text": ""})
    assert missing.status_code == 422
    assert "key: lower-case" in missing.text
    assert "claim_text: String should have at least 1 character" in missing.text
    assert not (desk.watchlists / "health.yaml").exists()
    assert desk.repository.watchlist("health") is None

    arms = (desk.watchlists / "arms.yaml").read_bytes()
    taken = client.post("/watchlists", data=form | {"key": "arms"})
    assert taken.status_code == 422 and "exists already" in taken.text
    assert (desk.watchlists / "arms.yaml").read_bytes() == arms


def test_watchlist_settings_are_written_to_its_file(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    assert 'name="quiet_start"' in client.get("/watchlists/arms").text
    form = {
        "csrf_token": token,
        "name": "Arms and conflict desk",
        "slack_channel": "#arms-alerts",
        "timezone": "Europe/Kyiv",
        "digest_recipients": "arms@example.org",
        "digest_send_at": "07:15",
        "quiet_start": "22:00",
        "quiet_end": "06:00",
        "per_claim_per_hour": "3",
        "per_channel_per_hour": "20",
    }
    answer = client.post("/watchlists/arms/settings", data=form)
    assert answer.status_code == 303, answer.text
    path = desk.watchlists / "arms.yaml"
    written = load_file(path, 0.6)
    assert written.name == "Arms and conflict desk" and written.timezone == "Europe/Kyiv"
    assert written.digest.timezone == "Europe/Kyiv"  # the digest follows the watchlist
    assert written.alerts.quiet_hours is not None
    assert written.alerts.per_claim_per_hour == 3 and written.threshold == 0.5
    assert [c.key for c in written.claims] == ["dprk-shells"]  # claims and sources untouched
    stored = desk.repository.watchlist("arms")
    assert stored is not None and stored.slack_channel == "#arms-alerts"
    [entry] = desk.repository.audit_log(target="watchlist:arms")
    assert entry.action == "watchlist.update" and entry.before is not None
    assert entry.before["slack_channel"] == "#arms"

    before = path.read_bytes()
    bad = client.post("/watchlists/arms/settings", data=form | {"quiet_end": "late"})
    assert (
        bad.status_code == 422
        and "quiet_end: Value error, &#39;late&#39; is not a time" in bad.text
    )
    bad = client.post("/watchlists/arms/settings", data=form | {"per_claim_per_hour": "0"})
    assert bad.status_code == 422 and "per_claim_per_hour" in bad.text
    assert path.read_bytes() == before


WATCHLIST = """name: Arms desk
slack_channel: "#arms"
{top}
sources: [{{name: Wire, url: "https://wire.example/feed.xml"}}]
claims: [{{id: shells, text: North Korea ships shells to Russia}}]
"""
# One bad value each, as a file, the API and the settings form write it, and pydantic's message.
BAD_SETTINGS = [
    (
        "timezone: Mars/Olympus",
        {"timezone": "Mars/Olympus"},
        {"timezone": "Mars/Olympus"},
        "unknown time zone 'Mars/Olympus' (use an IANA name)",
    ),
    (
        "digest: {send_at: '25:00'}",
        {"digest_send_at": "25:00"},
        {"digest_send_at": "25:00"},
        "'25:00' is not a time of day (use HH:MM)",
    ),
    (
        "digest: {recipients: [nobody]}",
        {"digest_recipients": ["nobody"]},
        {"digest_recipients": "nobody"},
        "'nobody' is not an email address (write just name@example.org)",
    ),
    (
        "alerts: {quiet_hours: {start: '22:00', end: late}}",
        {"quiet_hours": {"start": "22:00", "end": "late"}},
        {"quiet_start": "22:00", "quiet_end": "late"},
        "'late' is not a time of day (use HH:MM)",
    ),
    (
        "alerts: {per_claim_per_hour: 0}",
        {"per_claim_per_hour": 0},
        {"per_claim_per_hour": "0"},
        "Input should be greater than or equal to 1",
    ),
]


def test_a_bad_setting_gets_the_same_message_from_a_file_the_api_and_the_form(
    desk: WebDesk,
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    editor = bearer(desk, Role.EDITOR)
    form = {"csrf_token": token, "name": "Arms desk", "slack_channel": "#arms"}
    for top, api, fields, message in BAD_SETTINGS:
        with pytest.raises(WatchlistError) as caught:
            parse_watchlist(WATCHLIST.format(top=top), Path("arms.yaml"))
        [problem] = caught.value.problems
        assert problem.message.endswith(message), problem
        answer = client.patch("/api/v1/watchlists/arms", json=api, headers=editor)
        assert answer.status_code == 422
        assert [p for p in answer.json()["detail"] if p.endswith(message)], answer.text
        page = client.post("/watchlists/arms/settings", data=form | fields)
        assert page.status_code == 422 and message in html.unescape(page.text), top
    assert load_file(desk.watchlists / "arms.yaml").timezone == "UTC"


def test_a_bad_source_gets_the_same_message_from_a_file_the_api_and_the_forms(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    message = "URL scheme should be 'http' or 'https'"
    text = WATCHLIST.format(top="").replace("https://wire.example/feed.xml", "javascript:x")
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, Path("arms.yaml"))
    assert [p.message for p in caught.value.problems] == [message]
    new = {
        "key": "health",
        "name": "Health desk",
        "slack_channel": "#health",
        "source": {"name": "Health wire", "url": "javascript:x"},
        "claim": {"key": "measles", "text": "Measles cases are rising in Europe"},
    }
    api = client.post("/api/v1/watchlists", json=new, headers=bearer(desk, Role.EDITOR))
    assert api.status_code == 422 and api.json()["detail"] == [f"source.url: {message}"]
    add = {"csrf_token": token, "watchlist": "arms", "name": "New", "url": "javascript:x"}
    form = client.post("/sources/add", data=add)
    assert form.status_code == 422 and f"url: {message}" in html.unescape(form.text)
    first = new_watchlist_form(token, feed_server.url) | {"source_url": "javascript:x"}
    form = client.post("/watchlists", data=first)
    assert form.status_code == 422 and f"source_url: {message}" in html.unescape(form.text)


def test_a_bad_claim_gets_the_same_messages_from_a_file_the_api_and_the_form(
    desk: WebDesk,
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    bad_id = "lower-case letters, digits and hyphens, starting with a letter or digit"
    too_high = "Input should be less than or equal to 1"
    text = WATCHLIST.format(top="").replace("{id: shells,", "{id: Shells, threshold: 2,")
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, Path("arms.yaml"))
    assert sorted(p.message for p in caught.value.problems) == [too_high, bad_id]
    claim = {"text": "North Korea ships shells to Russia", "threshold": 2}
    url = "/api/v1/watchlists/arms/claims/Shells"
    api = client.put(url, json=claim, headers=bearer(desk, Role.EDITOR))
    assert api.status_code == 422
    assert sorted(api.json()["detail"]) == [f"claim_key: {bad_id}", f"threshold: {too_high}"]
    form = {"csrf_token": token, "new": "1", "watchlist": "arms", "action": "save"}
    form |= {"id": "Shells", "text": claim["text"], "threshold": "2"}
    page = html.unescape(client.post("/claims/save", data=form).text)
    assert f"id: {bad_id}" in page and f"threshold: {too_high}" in page


def add_second_claim(desk: WebDesk) -> int:
    desk.app.state.web.editor.save_claim(
        "arms", ClaimSpec("iran-drones", "Iran supplies drones to Russia"), "editor"
    )
    return next(c.id for c in desk.repository.claims("arms") if c.key == "dprk-shells")


def test_a_claim_is_removed_after_confirmation_and_its_evidence_kept(desk: WebDesk) -> None:
    claim_id = add_second_claim(desk)
    evidence = desk.repository.evidence_records(claim_id)
    assert evidence  # judging the archive found some
    client = desk.client()
    token = sign_in(client, "editor")
    confirm = client.get("/watchlists/arms/claims/dprk-shells/remove")
    assert confirm.status_code == 200 and "Its evidence and edit history stay" in confirm.text
    assert 'action="/watchlists/arms/claims/dprk-shells/remove"' in confirm.text
    url = "/watchlists/arms/claims/dprk-shells/remove"
    assert client.post(url, data={}).status_code == 403  # CSRF
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 403
    answer = client.post(url, data={"csrf_token": token})
    assert answer.status_code == 303

    written = load_file(desk.watchlists / "arms.yaml")
    assert [c.key for c in written.claims] == ["iran-drones"]
    assert [c.key for c in desk.repository.claims("arms")] == ["iran-drones"]
    assert desk.repository.find_claim(claim_id) is not None  # deactivated, not deleted
    assert desk.repository.evidence_records(claim_id) == evidence
    assert client.get(f"/claims/{claim_id}").status_code == 200  # history readable
    [entry] = desk.repository.audit_log(target="claim:arms/dprk-shells")
    assert (entry.actor, entry.action, entry.after) == ("editor", "claim.remove", None)
    assert entry.before is not None and entry.before["id"] == "dprk-shells"


def test_the_last_claim_and_the_last_source_are_not_removed(desk: WebDesk) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    path = desk.watchlists / "arms.yaml"
    before = path.read_bytes()
    confirm = client.get("/watchlists/arms/claims/dprk-shells/remove")
    assert "needs at least one" in confirm.text and "<button" not in confirm.text.split("<main>")[1]
    answer = client.post("/watchlists/arms/claims/dprk-shells/remove", data={"csrf_token": token})
    assert answer.status_code == 422
    assert "a watchlist needs at least one claim" in answer.text
    [source] = desk.repository.sources()
    answer = client.post(f"/watchlists/arms/sources/{source.id}/remove", data={"csrf_token": token})
    assert answer.status_code == 422 and "needs at least one source" in answer.text
    assert path.read_bytes() == before
    assert desk.repository.audit_log() == []


def test_a_source_is_removed_from_a_watchlist_and_its_items_stay(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    editor = desk.app.state.web.editor
    new = SourceSpec("Health wire", f"{feed_server.url}/health.xml", SourceKind.FEED)
    editor.save_source("arms", new, "editor")
    [wire] = [s for s in desk.repository.sources() if s.name == "Wire"]
    claim_id = desk.repository.claims("arms")[0].id
    evidence = desk.repository.evidence_records(claim_id)
    client = desk.client()
    token = sign_in(client, "editor")
    confirm = client.get(f"/watchlists/arms/sources/{wire.id}/remove")
    assert confirm.status_code == 200 and "no longer polled" in confirm.text
    url = f"/watchlists/arms/sources/{wire.id}/remove"
    assert client.post(url, data={}).status_code == 403
    assert client.post(url, data={"csrf_token": token}).status_code == 303

    written = load_file(desk.watchlists / "arms.yaml")
    assert [s.name for s in written.sources] == ["Health wire"]
    assert wire.id not in [s.id for s in desk.repository.sources(include_disabled=True)]
    assert desk.repository.find_source(wire.id) is not None  # kept: it yielded items
    assert desk.repository.item(1).source_id == wire.id
    assert desk.repository.evidence_records(claim_id) == evidence
    [entry] = desk.repository.audit_log(target=f"source:{wire.url}")
    assert entry.action == "source.remove" and entry.before is not None
    assert entry.before["watchlist"] == "arms"


def test_viewers_see_watchlists_but_cannot_change_them(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    client = desk.client()
    token = sign_in(client, "viewer")
    assert "Arms desk" in client.get("/watchlists").text
    page = client.get("/watchlists/arms")
    assert page.status_code == 200 and "Remove…" not in page.text
    assert client.get("/watchlists/new").status_code == 403
    form = new_watchlist_form(token, feed_server.url)
    assert client.post("/watchlists", data=form).status_code == 403
    assert client.get("/watchlists/arms/claims/dprk-shells/remove").status_code == 403
    remove = "/watchlists/arms/claims/dprk-shells/remove"
    assert client.post(remove, data={"csrf_token": token}).status_code == 403
    settings = {"csrf_token": token, "name": "X", "slack_channel": "#x"}
    assert client.post("/watchlists/arms/settings", data=settings).status_code == 403
    assert not (desk.watchlists / "health.yaml").exists()
    assert desk.repository.audit_log() == []


def test_a_failed_write_leaves_the_file_and_the_database_as_they_were(
    desk: WebDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_second_claim(desk)
    path = desk.watchlists / "arms.yaml"
    before = path.read_bytes()
    client = desk.client()
    token = sign_in(client, "editor")

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    answer = client.post("/watchlists/arms/claims/dprk-shells/remove", data={"csrf_token": token})
    assert answer.status_code == 422 and "cannot write the file" in answer.text
    assert path.read_bytes() == before
    assert [p.name for p in desk.watchlists.iterdir()] == ["arms.yaml"]  # no temporary left
    assert {c.key for c in desk.repository.claims("arms")} == {"dprk-shells", "iran-drones"}


def test_the_api_creates_changes_and_removes(desk: WebDesk, feed_server: LocalServer) -> None:
    client = desk.client()
    new = {
        "key": "health",
        "name": "Health desk",
        "slack_channel": "#health",
        "digest_recipients": ["desk@example.org"],
        "source": {"name": "Health wire", "url": f"{feed_server.url}/health.xml"},
        "claim": {"key": "measles", "text": "Measles cases are rising in Europe"},
    }
    viewer, editor = bearer(desk, Role.VIEWER), bearer(desk, Role.EDITOR)
    assert client.post("/api/v1/watchlists", json=new, headers=viewer).status_code == 403
    bad = client.post("/api/v1/watchlists", json=new | {"timezone": "Nowhere"}, headers=editor)
    assert bad.status_code == 422 and any("timezone" in p for p in bad.json()["detail"])
    created = client.post("/api/v1/watchlists", json=new, headers=editor)
    assert created.status_code == 201, created.text
    assert created.json()["claims"][0]["key"] == "measles"
    assert load_file(desk.watchlists / "health.yaml").digest.recipients == ("desk@example.org",)
    again = client.post("/api/v1/watchlists", json=new, headers=editor)
    assert again.status_code == 422

    change = {"timezone": "Europe/Paris", "quiet_hours": {"start": "23:00", "end": "06:00"}}
    changed = client.patch("/api/v1/watchlists/health", json=change, headers=editor)
    assert changed.status_code == 200 and changed.json()["timezone"] == "Europe/Paris"
    assert changed.json()["quiet_hours"] == {"start": "23:00", "end": "06:00"}
    written = load_file(desk.watchlists / "health.yaml")
    assert written.alerts.quiet_hours is not None and written.slack_channel == "#health"
    assert client.patch("/api/v1/watchlists/health", json={}, headers=viewer).status_code == 403

    last = client.delete("/api/v1/watchlists/health/claims/measles", headers=editor)
    assert last.status_code == 422 and "at least one claim" in str(last.json()["detail"])
    add_second_claim(desk)
    gone = client.delete("/api/v1/watchlists/arms/claims/dprk-shells", headers=viewer)
    assert gone.status_code == 403
    gone = client.delete("/api/v1/watchlists/arms/claims/dprk-shells", headers=editor)
    assert gone.status_code == 204
    missing = client.delete("/api/v1/watchlists/arms/claims/dprk-shells", headers=editor)
    assert missing.status_code == 404

    health = next(s for s in desk.repository.sources() if s.name == "Health wire")
    desk.app.state.web.editor.save_source(
        "arms", SourceSpec("Health wire", health.url, SourceKind.FEED), "editor"
    )
    [wire] = [s for s in desk.repository.sources() if s.name == "Wire"]
    removed = client.delete(f"/api/v1/watchlists/arms/sources/{wire.id}", headers=editor)
    assert removed.status_code == 204
    assert [s.name for s in load_file(desk.watchlists / "arms.yaml").sources] == ["Health wire"]
    again = client.delete(f"/api/v1/watchlists/arms/sources/{wire.id}", headers=editor)
    assert again.status_code == 404
    actions = {e.action for e in desk.repository.audit_log()}
    assert {"watchlist.create", "watchlist.update", "claim.remove", "source.remove"} <= actions
    assert {e.at for e in desk.repository.audit_log()} == {NOW}


def test_a_watchlist_name_with_a_line_break_is_refused_by_the_form_and_the_api(
    desk: WebDesk,
) -> None:
    client = desk.client()
    token = sign_in(client, "editor")
    path = desk.watchlists / "arms.yaml"
    before = path.read_bytes()
    form = {"csrf_token": token, "name": "Arms\r\nBcc: all@example.org", "slack_channel": "#arms"}
    answer = client.post("/watchlists/arms/settings", data=form)
    assert answer.status_code == 422 and "single line" in answer.text
    editor = bearer(desk, Role.EDITOR)
    for name in ("Arms\nBcc: all@example.org", "Arms\u2028desk"):
        api = client.patch("/api/v1/watchlists/arms", json={"name": name}, headers=editor)
        assert api.status_code == 422 and "single line" in api.text
    assert path.read_bytes() == before
