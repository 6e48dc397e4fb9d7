"""Editors review near misses (candidates just under their claim's bar) on the claim page and
through the API: accepted, one becomes evidence without an alert and the claim's bar lowers a
step; dismissed, it goes; the first review stands, and viewers cannot review."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.alerting import THRESHOLD_STEP
from monitor.types import Evidence, FeedbackKind, FeedEntry, NearMiss, Role, Stance
from tests.support.servers import LocalServer
from tests.support.web_desk import HOSTILE_TITLE, NOW, WebDesk, bearer, make_desk, sign_in

HOSTILE_QUOTE = '<script>alert("quote")</script> Drones cross the border'
RAIN_QUOTE = "Heavy rain is expected on Monday."


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    desk = make_desk(tmp_path, feed_server.url)
    yield desk
    desk.fetcher.close()


@dataclass(frozen=True)
class Kept:
    """The desk's claim and the ids of its two near misses."""

    claim_id: int
    hostile: int  # relevance 0.45, a hostile quote on the item with a javascript: link
    rain: int  # relevance 0.30

    @property
    def page(self) -> str:
        return f"/claims/{self.claim_id}"

    def form(self, near_miss_id: int) -> str:
        return f"/claims/{self.claim_id}/near-misses/{near_miss_id}/review"


def kept(desk: WebDesk) -> Kept:
    """Two near misses of the desk's claim, as judging would keep them (its bar is 0.5)."""
    [claim] = desk.repository.claims()
    items = {item.title: item.id for item in desk.repository.items_after(0, 10)}
    near_misses = [
        near_miss(claim.id, items[HOSTILE_TITLE], HOSTILE_QUOTE, 0.45, holder="NSC spokesman"),
        near_miss(claim.id, items["Rain"], RAIN_QUOTE, 0.3),
    ]
    desk.repository.record_judgement(list(items.values()), [], NOW, near_misses=near_misses)
    ids = {r.near_miss.evidence.quote: r.id for r in desk.repository.near_misses(claim.id)}
    return Kept(claim.id, ids[HOSTILE_QUOTE], ids[RAIN_QUOTE])


def near_miss(
    claim_id: int, item_id: int, quote: str, relevance: float, holder: str = ""
) -> NearMiss:
    found = Evidence(claim_id, item_id, 0.62, quote, Stance.SUPPORTS, 0.8, holder=holder)
    return NearMiss(found, relevance)


def threshold(desk: WebDesk) -> float:
    [claim] = desk.repository.claims()
    return claim.threshold


def sections(html: str) -> tuple[str, str]:
    """The claim page's evidence timeline, and its near misses."""
    evidence, _, rest = html.partition('id="near-misses"')
    near_misses, history, _ = rest.partition("<h2>History</h2>")
    assert near_misses and history, "no near misses section"
    return evidence, near_misses


def listed(client: TestClient, desk: WebDesk, claim_id: int, query: str = "") -> list[Any]:
    answer = client.get(
        f"/api/v1/claims/{claim_id}/near-misses{query}", headers=bearer(desk, Role.VIEWER)
    )
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def test_the_claim_page_lists_near_misses_escaped_most_relevant_first(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    sign_in(client, "viewer")
    html = client.get(kept_.page).text
    _, near_misses = sections(html)
    assert "Near misses — items just under this claim's bar" in html
    assert "they are not evidence and alerted nobody" in near_misses
    assert "&lt;script&gt;alert(&#34;quote&#34;)&lt;/script&gt; Drones cross" in near_misses
    assert "<script" not in html.lower() and 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;title&#34;)" in near_misses  # the item's hostile title
    assert near_misses.index("relevance 0.45") < near_misses.index("relevance 0.30")
    assert near_misses.index("Drones cross") < near_misses.index(RAIN_QUOTE)
    assert "According to NSC spokesman" in near_misses
    assert "Wire · 2024-03-01 12:00 UTC" in near_misses
    # A viewer reads them, without the buttons.
    assert "Bears on the claim" not in html and "/review" not in html


def test_a_claim_without_near_misses_says_so(desk: WebDesk) -> None:
    [claim] = desk.repository.claims()
    client = desk.client()
    sign_in(client, "editor")
    _, near_misses = sections(client.get(f"/claims/{claim.id}").text)
    assert "No near misses waiting." in near_misses and "<li" not in near_misses


def test_an_editor_accepts_a_near_miss_it_becomes_evidence_and_the_bar_lowers(
    desk: WebDesk,
) -> None:
    kept_ = kept(desk)
    before, alerts = threshold(desk), len(desk.repository.alerts())
    client = desk.client()
    token = sign_in(client, "editor")
    page = client.get(kept_.page).text
    assert f'action="{kept_.form(kept_.hostile)}"' in page
    assert (
        '<button type="submit" name="review" value="accepted">Bears on the claim</button>' in page
    )
    assert '<button type="submit" name="review" value="dismissed">Does not</button>' in page

    answer = client.post(
        kept_.form(kept_.hostile), data={"csrf_token": token, "review": "accepted"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{kept_.page}#near-misses"
    evidence, near_misses = sections(client.get(kept_.page).text)
    assert "Drones cross" not in near_misses and RAIN_QUOTE in near_misses
    assert "&lt;script&gt;alert(&#34;quote&#34;)&lt;/script&gt; Drones cross" in evidence
    assert "recorded without an alert" in evidence
    assert len(desk.repository.alerts()) == alerts  # the editor has seen it: nobody is alerted

    lowered = before + THRESHOLD_STEP[FeedbackKind.RELEVANT]
    assert lowered < before and threshold(desk) == pytest.approx(lowered)
    claim = client.get(f"/api/v1/claims/{kept_.claim_id}", headers=bearer(desk, Role.VIEWER))
    assert claim.json()["effective_threshold"] == pytest.approx(lowered)
    assert f"threshold {lowered}" in evidence


def test_an_editor_dismisses_a_near_miss_and_it_goes_without_evidence(desk: WebDesk) -> None:
    kept_ = kept(desk)
    before, evidence_before = threshold(desk), desk.repository.evidence_records(kept_.claim_id)
    client = desk.client()
    token = sign_in(client, "editor")
    answer = client.post(kept_.form(kept_.rain), data={"csrf_token": token, "review": "dismissed"})
    assert answer.status_code == 303
    evidence, near_misses = sections(client.get(kept_.page).text)
    assert RAIN_QUOTE not in near_misses and "Drones cross" in near_misses
    assert RAIN_QUOTE not in evidence
    assert desk.repository.evidence_records(kept_.claim_id) == evidence_before
    assert threshold(desk) == before

    client.post(kept_.form(kept_.hostile), data={"csrf_token": token, "review": "dismissed"})
    _, near_misses = sections(client.get(kept_.page).text)
    assert "No near misses waiting." in near_misses


def test_the_first_review_stands(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    token = sign_in(client, "editor")
    client.post(kept_.form(kept_.rain), data={"csrf_token": token, "review": "dismissed"})
    before = threshold(desk)
    again = client.post(kept_.form(kept_.rain), data={"csrf_token": token, "review": "accepted"})
    assert again.status_code == 409 and "dismissed by editor" in again.text
    same = client.post(kept_.form(kept_.rain), data={"csrf_token": token, "review": "dismissed"})
    assert same.status_code == 303
    [record] = desk.repository.near_misses(ids=[kept_.rain], open_only=False)
    assert (record.review, record.reviewed_by) == ("dismissed", "editor")
    assert threshold(desk) == before
    assert all(r.evidence.quote != RAIN_QUOTE for r in desk.repository.evidence_records())


def test_viewers_forged_forms_bad_reviews_and_other_claims_are_refused(desk: WebDesk) -> None:
    kept_ = kept(desk)
    url = kept_.form(kept_.hostile)
    viewer = desk.client()
    token = sign_in(viewer, "viewer")
    assert viewer.post(url, data={"csrf_token": token, "review": "accepted"}).status_code == 403

    editor = desk.client()
    token = sign_in(editor, "editor")
    assert editor.post(url, data={"review": "accepted"}).status_code == 403
    assert editor.post(url, data={"csrf_token": "forged", "review": "accepted"}).status_code == 403
    assert desk.client().post(url, data={"review": "accepted"}).status_code == 403
    for value in ("maybe", ""):
        refused = editor.post(url, data={"csrf_token": token, "review": value})
        assert refused.status_code == 422 and "The near miss was not reviewed" in refused.text
    unknown = f"/claims/{kept_.claim_id}/near-misses/999/review"
    assert editor.post(unknown, data={"csrf_token": token, "review": "accepted"}).status_code == 404
    elsewhere = f"/claims/999/near-misses/{kept_.hostile}/review"
    assert (
        editor.post(elsewhere, data={"csrf_token": token, "review": "dismissed"}).status_code == 404
    )
    assert len(desk.repository.near_misses(kept_.claim_id)) == 2  # none was reviewed


def test_a_long_list_is_capped_and_says_how_many_more_wait(desk: WebDesk) -> None:
    [claim] = desk.repository.claims()
    [source] = desk.repository.sources()
    entries = [
        FeedEntry(f"n{n}", f"https://wire.example/n{n}", f"Item {n}", f"Text {n}.", NOW)
        for n in range(23)
    ]
    items = desk.repository.add_items(source.id, entries, NOW)
    near_misses = [near_miss(claim.id, item.id, f"Quote {item.id}", 0.4) for item in items]
    desk.repository.record_judgement([i.id for i in items], [], NOW, near_misses=near_misses)
    client = desk.client()
    sign_in(client, "viewer")
    _, shown = sections(client.get(f"/claims/{claim.id}").text)
    assert shown.count('<li id="near-miss-') == 20
    assert "3 more waiting, shown as these are reviewed." in shown


def test_the_dashboard_counts_the_near_misses_waiting(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    token = sign_in(client, "editor")
    link = f'<a href="{kept_.page}#near-misses">'
    assert f"{link}2 near misses to review</a>" in client.get("/").text
    client.post(kept_.form(kept_.rain), data={"csrf_token": token, "review": "dismissed"})
    assert f"{link}1 near miss to review</a>" in client.get("/").text
    client.post(kept_.form(kept_.hostile), data={"csrf_token": token, "review": "accepted"})
    assert "near miss" not in client.get("/").text


def test_the_api_lists_a_claim_s_near_misses(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    first, second = listed(client, desk, kept_.claim_id)
    assert (first["id"], second["id"]) == (kept_.hostile, kept_.rain)
    assert first["quote"] == HOSTILE_QUOTE and first["title"] == HOSTILE_TITLE
    assert (first["claim_id"], first["claim_key"], first["source"]) == (
        kept_.claim_id,
        "dprk-shells",
        "Wire",
    )
    assert (first["score"], first["relevance"]) == (0.62, 0.45)
    assert (first["stance"], first["stance_confidence"], first["holder"]) == (
        "supports",
        0.8,
        "NSC spokesman",
    )
    assert (first["review"], first["reviewed_by"], first["reviewed_at"]) == (None, None, None)
    assert (first["evidence_id"], first["reported"]) == (None, [])
    assert first["published_at"] is not None and first["recorded_at"] is not None
    assert [r["id"] for r in listed(client, desk, kept_.claim_id, "?limit=1&offset=1")] == [
        kept_.rain
    ]
    viewer = bearer(desk, Role.VIEWER)
    assert client.get("/api/v1/claims/999/near-misses", headers=viewer).status_code == 404
    assert client.get(f"/api/v1/claims/{kept_.claim_id}/near-misses").status_code == 401
    too_many = f"/api/v1/claims/{kept_.claim_id}/near-misses?limit=0"
    assert client.get(too_many, headers=viewer).status_code == 422


def test_the_api_reviews_a_near_miss_once(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    editor = bearer(desk, Role.EDITOR)
    before = threshold(desk)
    url = f"/api/v1/near-misses/{kept_.hostile}/review"
    answer = client.post(url, json={"review": "accepted"}, headers=editor)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["id"], answer.json()["review"], answer.json()["reviewed_by"]) == (
        kept_.hostile,
        "accepted",
        "editor",
    )
    assert threshold(desk) == pytest.approx(before + THRESHOLD_STEP[FeedbackKind.RELEVANT])
    [evidence] = [
        r
        for r in desk.repository.evidence_records(kept_.claim_id)
        if r.evidence.quote == HOSTILE_QUOTE
    ]
    assert not evidence.alerted

    assert answer.json()["evidence_id"] == evidence.id
    assert answer.json()["reviewed_at"] is not None
    again = client.post(url, json={"review": "dismissed"}, headers=bearer(desk, Role.ADMIN))
    assert again.status_code == 409 and "already accepted by editor" in again.text
    same = client.post(url, json={"review": "accepted"}, headers=bearer(desk, Role.ADMIN))
    assert same.status_code == 200
    assert (same.json()["review"], same.json()["reviewed_by"]) == ("accepted", "editor")
    assert [r["id"] for r in listed(client, desk, kept_.claim_id)] == [kept_.rain]
    every = listed(client, desk, kept_.claim_id, "?include_reviewed=true")
    assert [(r["id"], r["review"]) for r in every] == [
        (kept_.hostile, "accepted"),
        (kept_.rain, None),
    ]


def test_the_api_refuses_unknown_near_misses_bad_reviews_and_viewers(desk: WebDesk) -> None:
    kept_ = kept(desk)
    client = desk.client()
    editor = bearer(desk, Role.EDITOR)
    url = f"/api/v1/near-misses/{kept_.rain}/review"
    missing = client.post(
        "/api/v1/near-misses/999/review", json={"review": "accepted"}, headers=editor
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "no such near miss"
    for body in ({"review": "maybe"}, {"review": None}, {"review": "ACCEPTED"}, {}):
        refused = client.post(url, json=body, headers=editor)
        assert refused.status_code == 422, body
    assert "'accepted' or 'dismissed'" in str(
        client.post(url, json={"review": "maybe"}, headers=editor).json()["detail"]
    )
    viewer = client.post(url, json={"review": "accepted"}, headers=bearer(desk, Role.VIEWER))
    assert viewer.status_code == 403
    assert client.post(url, json={"review": "accepted"}).status_code == 401
    assert len(listed(client, desk, kept_.claim_id)) == 2  # none was reviewed
