"""Web and API edits keep a watchlist file as its editors wrote it: only the lines an edit must
change, comments and order kept; an edit racing a hand edit is refused; a file managed in git
is read-only in the UI and API before any form is filled."""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.editing import WatchlistFile
from monitor.errors import EditConflict, WatchlistError
from monitor.types import Role
from monitor.watchlists import load_file, parse_watchlist
from tests.support.paths import REPO
from tests.support.servers import LocalServer
from tests.support.web_desk import NOW, WebDesk, bearer, desk_with_feed, sign_in

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title></channel></rss>"""
COMMENTED = REPO / "watchlists/arms-transfers.yaml"


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    with desk_with_feed(tmp_path, feed_server, "/wire.xml", RSS) as desk:
        yield desk


def add_file(desk: WebDesk, name: str, text: str) -> Path:
    path = desk.watchlists / name
    path.write_text(text, encoding="utf-8")
    desk.repository.sync_watchlists([load_file(path)], NOW)
    return path


def changed_lines(before: str, after: str) -> list[str]:
    """The diff's changed lines, without its headers."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_ui_edits_of_a_commented_file_change_only_their_lines(desk: WebDesk) -> None:
    path = desk.watchlists / "transfers.yaml"
    shutil.copy(COMMENTED, path)
    desk.repository.sync_watchlists([load_file(path)], NOW)
    original = path.read_text(encoding="utf-8")
    client = desk.client()
    token = sign_in(client, "editor")

    # A claim's text, changed in the claim editor.
    claim = next(
        c for c in desk.repository.claims("transfers") if c.key == "iran-shaheds-to-russia"
    )
    assert client.get(f"/claims/{claim.id}/edit").status_code == 200
    form = {
        "csrf_token": token,
        "action": "save",
        "watchlist": "transfers",
        "id": claim.key,
        "text": "Iran supplies Shahed attack drones to Russia's army",
        "paraphrases": "\n".join(claim.spec.paraphrases),
        "verdict": claim.spec.verdict.value,
        "notes": claim.spec.notes,
        "threshold": "",
    }
    assert client.post("/claims/save", data=form).status_code == 303
    after_claim = path.read_text(encoding="utf-8")
    assert changed_lines(original, after_claim) == [
        "-    text: Iran supplies Shahed attack drones to Russia",
        "+    text: Iran supplies Shahed attack drones to Russia's army",
    ]

    # The watchlist's Slack channel and digest time, changed in its settings form: the digest
    # line keeps its comment and its quotes.
    settings = {
        "csrf_token": token,
        "name": "Arms transfers — Russia, Iran, North Korea",
        "slack_channel": "#arms-desk",
        "description": load_file(path).description,
        "timezone": "Europe/London",
        "digest_recipients": "arms-desk@example.org",
        "digest_send_at": "06:30",
        "quiet_start": "",
        "quiet_end": "",
        "per_claim_per_hour": "6",
        "per_channel_per_hour": "30",
    }
    answer = client.post("/watchlists/transfers/settings", data=settings)
    assert answer.status_code == 303, answer.text
    after_settings = path.read_text(encoding="utf-8")
    assert changed_lines(after_claim, after_settings) == [
        '-slack_channel: "#arms-transfers"',
        '+slack_channel: "#arms-desk"',
        '-  send_at: "07:00"            # local time in the watchlist\'s time zone (or digest.timezone)',
        '+  send_at: "06:30"            # local time in the watchlist\'s time zone (or digest.timezone)',
    ]

    # A source removed through the API: its four lines go, and nothing else.
    source = next(s for s in desk.repository.sources() if s.url == "https://en.mfa.ir/")
    answer = client.delete(
        f"/api/v1/watchlists/transfers/sources/{source.id}", headers=bearer(desk, Role.EDITOR)
    )
    assert answer.status_code == 204, answer.text
    removed = changed_lines(after_settings, path.read_text(encoding="utf-8"))
    assert [line[:1] for line in removed] == ["-"] * 4
    assert removed[0] == "-  - name: Iran Ministry of Foreign Affairs (English)"

    # What was stored is what the file says.
    stored = desk.repository.watchlist("transfers")
    assert stored is not None and stored.fingerprint == load_file(path).fingerprint
    assert stored.slack_channel == "#arms-desk"


def test_document_edits_read_back_as_the_watchlist_they_describe() -> None:
    text = COMMENTED.read_text(encoding="utf-8")
    before = parse_watchlist(text, COMMENTED)
    document = WatchlistFile(COMMENTED, text)
    claim = before.claims[0]
    new_claim = replace(claim, paraphrases=(*claim.paraphrases, "on"), threshold=0.8, notes="")
    document.put_claim(claim, new_claim)
    source = before.sources[1]
    new_source = replace(source, name="DoD", poll_interval=source.poll_interval * 2)
    document.put_source(source, new_source)
    after = replace(before, timezone="Europe/Paris", slack_channel="#desk")
    document.put_settings(before, after)

    got = parse_watchlist(document.text(), COMMENTED)
    assert got.claims[0] == new_claim  # "on" stays a string, quoted for the loader
    assert got.sources[1] == new_source
    assert (got.timezone, got.slack_channel) == ("Europe/Paris", "#desk")
    assert got.digest.timezone == "Europe/Paris"  # no digest zone in the file: it follows
    assert got.claims[1:] == before.claims[1:] and got.sources[2:] == before.sources[2:]
    assert document.text().startswith(text.split("\nname:")[0])  # the header comment kept


def test_an_edit_racing_a_hand_edit_of_the_same_file_is_refused(desk: WebDesk) -> None:
    path = desk.watchlists / "arms.yaml"
    document = WatchlistFile.read(path)
    claim = load_file(path).claims[0]
    document.put_claim(claim, replace(claim, text="Changed in the web UI"))
    hand_edit = path.read_text() + "# a hand edit, saved meanwhile\n"
    path.write_text(hand_edit)

    with pytest.raises(EditConflict, match="changed by hand"):
        document.write(document.text())
    assert path.read_text() == hand_edit  # neither change is lost: the hand edit stays


def test_an_edit_over_a_hand_edit_not_yet_loaded_is_refused(desk: WebDesk) -> None:
    path = desk.watchlists / "arms.yaml"
    hand_edit = path.read_text().replace("North Korea is shipping", "North Korea ships")
    path.write_text(hand_edit)  # not synced yet: the form showed the version before it

    answer = desk.client().put(
        "/api/v1/watchlists/arms/claims/ir-drones",
        json={"text": "Iran supplies drones to Russia"},
        headers=bearer(desk, Role.EDITOR),
    )
    assert answer.status_code == 409
    assert "changed by hand since the service last loaded it" in answer.text
    assert path.read_text() == hand_edit
    assert [c.key for c in desk.repository.claims("arms")] == ["dprk-shells"]


MANAGED = """\
# Kept in the newsroom's config repository; deployed by CI.
name: Elections desk
slack_channel: "#elections"
managed_in_git: true
sources:
  - name: Wire
    url: "%s/wire.xml"
claims:
  - id: turnout-record
    text: Turnout reached a record high
"""


def test_a_watchlist_managed_in_git_is_read_only_before_any_form(
    desk: WebDesk, feed_server: LocalServer
) -> None:
    path = add_file(desk, "elections.yaml", MANAGED % feed_server.url)
    client = desk.client()
    sign_in(client, "editor")

    page = client.get("/watchlists/elections").text
    assert "managed in git" in page and "change elections.yaml in its repository" in page
    assert "/claims/new?watchlist=elections" not in page and "Save the settings" not in page
    claim = desk.repository.claims("elections")[0]
    for form in (
        f"/claims/{claim.id}/edit",
        "/claims/new?watchlist=elections",
        "/watchlists/elections/claims/turnout-record/remove",
    ):
        answer = client.get(form)
        assert answer.status_code == 409, form
        assert "managed in git" in answer.text
    assert "elections" not in client.get("/claims/new").text.split('name="watchlist"')[1]

    api = bearer(desk, Role.EDITOR)
    shown = client.get("/api/v1/watchlists/elections", headers=api).json()
    assert "managed in git" in shown["read_only"]
    answer = client.put(
        "/api/v1/watchlists/elections/claims/turnout-record",
        json={"text": "Turnout fell"},
        headers=api,
    )
    assert answer.status_code == 409 and "managed in git" in answer.text
    assert path.read_text() == MANAGED % feed_server.url
    assert client.get("/api/v1/watchlists/arms", headers=api).json()["read_only"] is None


def test_one_claim_schema_for_files_the_api_and_the_form() -> None:
    from pydantic import ValidationError

    from monitor.web.api.models import ClaimIn
    from monitor.web.pages.claims import claim_spec

    bad = "Iran\x07 supplies drones"  # a control character: refused everywhere alike
    form = {"id": "ir", "text": bad, "paraphrases": "", "threshold": "", "verdict": "", "notes": ""}
    problems, spec = claim_spec(form)
    assert spec is None and problems[0].startswith("text: ")
    with pytest.raises(ValidationError, match="control characters"):
        ClaimIn.model_validate({"text": bad})
    text = 'name: N\nslack_channel: "#n"\nsources: [{name: W, url: "https://w.example/f"}]\n'
    with pytest.raises(WatchlistError, match="control characters"):  # "\a" is BEL in YAML
        parse_watchlist(text + 'claims: [{id: ir, text: "Iran\\a drones"}]\n', Path("n.yaml"))
    with pytest.raises(WatchlistError, match="special characters are not allowed"):
        parse_watchlist(text + f"claims: [{{id: ir, text: {bad}}}]\n", Path("n.yaml"))  # raw
    assert claim_spec(form | {"text": "Iran supplies drones", "threshold": "0.7"})[1] == (
        ClaimIn.model_validate({"text": "Iran supplies drones", "threshold": 0.7}).spec("ir")
    )
