"""Editors correct the stance the model read, through the API and on the claim page: the model's
reading and the editor's name are kept beside it, and viewers cannot change it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.types import Role, Stance
from tests.support.servers import LocalServer
from tests.support.web_desk import NOW, WebDesk, bearer, make_desk, sign_in


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    desk = make_desk(tmp_path, feed_server.url)
    yield desk
    desk.fetcher.close()


def judged(desk: WebDesk) -> tuple[int, int]:
    """The claim and the one piece of evidence judging the desk's archive recorded (the model,
    MentionsOnly, read a mention)."""
    [claim] = desk.repository.claims()
    [record] = desk.repository.evidence_records(claim.id)
    assert record.evidence.stance.value == "mentions"
    return claim.id, record.id


def evidence_of(client: TestClient, claim_id: int, desk: WebDesk) -> dict[str, Any]:
    listed = client.get(f"/api/v1/claims/{claim_id}/evidence", headers=bearer(desk, Role.VIEWER))
    [found] = listed.json()
    return dict(found)


def test_an_editor_corrects_a_stance_and_the_api_shows_both_readings(desk: WebDesk) -> None:
    claim_id, evidence_id = judged(desk)
    client = desk.client()
    url = f"/api/v1/evidence/{evidence_id}/stance"
    before = evidence_of(client, claim_id, desk)
    assert before["model_stance"] is None and before["corrected_by"] is None

    answer = client.put(url, json={"stance": "contradicts"}, headers=bearer(desk, Role.EDITOR))
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == evidence_id
    after = evidence_of(client, claim_id, desk)
    assert (after["stance"], after["model_stance"], after["corrected_by"]) == (
        "contradicts",
        "mentions",
        "editor",
    )

    back = client.put(url, json={"stance": "mentions"}, headers=bearer(desk, Role.ADMIN))
    assert back.status_code == 200
    cleared = evidence_of(client, claim_id, desk)
    assert (cleared["stance"], cleared["model_stance"], cleared["corrected_by"]) == (
        "mentions",
        None,
        None,
    )


def test_the_api_refuses_unknown_evidence_bad_stances_and_viewers(desk: WebDesk) -> None:
    claim_id, evidence_id = judged(desk)
    client = desk.client()
    editor = bearer(desk, Role.EDITOR)
    url = f"/api/v1/evidence/{evidence_id}/stance"
    missing = client.put("/api/v1/evidence/999/stance", json={"stance": "supports"}, headers=editor)
    assert missing.status_code == 404 and missing.json()["detail"] == "no such evidence"
    for body in ({"stance": "unrelated"}, {"stance": "maybe"}, {"stance": None}, {}):
        refused = client.put(url, json=body, headers=editor)
        assert refused.status_code == 422, body
    assert "'supports', 'contradicts' or 'mentions'" in str(
        client.put(url, json={"stance": "unrelated"}, headers=editor).json()["detail"]
    )
    viewer = client.put(url, json={"stance": "supports"}, headers=bearer(desk, Role.VIEWER))
    assert viewer.status_code == 403
    assert client.put(url, json={"stance": "supports"}).status_code == 401
    assert evidence_of(client, claim_id, desk)["stance"] == "mentions"


def test_an_editor_sets_a_stance_on_the_claim_page(desk: WebDesk) -> None:
    claim_id, evidence_id = judged(desk)
    client = desk.client()
    token = sign_in(client, "editor")
    page = client.get(f"/claims/{claim_id}").text
    action = f'action="/claims/{claim_id}/evidence/{evidence_id}/stance"'
    assert action in page and "Set stance" in page
    assert '<option value="unrelated"' not in page and "set by" not in page

    url = f"/claims/{claim_id}/evidence/{evidence_id}/stance"
    answer = client.post(url, data={"csrf_token": token, "stance": "supports"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/claims/{claim_id}#evidence-{evidence_id}"
    html = client.get(f"/claims/{claim_id}").text
    assert "— set by editor (model read: mentions)" in html
    assert '<option value="supports" selected>' in html

    refused = client.post(url, data={"csrf_token": token, "stance": "unrelated"})
    assert refused.status_code == 422 and "The stance was not set" in refused.text
    elsewhere = client.post(
        f"/claims/{claim_id}/evidence/999/stance", data={"csrf_token": token, "stance": "mentions"}
    )
    assert elsewhere.status_code == 404

    client.post(url, data={"csrf_token": token, "stance": "mentions"})
    assert "set by" not in client.get(f"/claims/{claim_id}").text


def test_the_claim_page_escapes_the_editor_s_name(desk: WebDesk) -> None:
    claim_id, evidence_id = judged(desk)
    desk.repository.correct_stance(evidence_id, Stance.CONTRADICTS, "<b>ana</b>", NOW)
    client = desk.client()
    sign_in(client, "viewer")
    html = client.get(f"/claims/{claim_id}").text
    assert "set by &lt;b&gt;ana&lt;/b&gt; (model read: mentions)" in html
    assert "<b>ana</b>" not in html


def test_viewers_and_forms_without_the_csrf_token_cannot_set_a_stance(desk: WebDesk) -> None:
    claim_id, evidence_id = judged(desk)
    url = f"/claims/{claim_id}/evidence/{evidence_id}/stance"
    viewer = desk.client()
    token = sign_in(viewer, "viewer")
    page = viewer.get(f"/claims/{claim_id}").text
    assert "Set stance" not in page and "/stance" not in page
    assert viewer.post(url, data={"csrf_token": token, "stance": "supports"}).status_code == 403

    editor = desk.client()
    token = sign_in(editor, "editor")
    assert editor.post(url, data={"stance": "supports"}).status_code == 403
    assert editor.post(url, data={"csrf_token": "forged", "stance": "supports"}).status_code == 403
    assert desk.client().post(url, data={"stance": "supports"}).status_code == 403
    [record] = desk.repository.evidence_records(claim_id)
    assert record.evidence.stance.value == "mentions" and record.evidence.model_stance is None
