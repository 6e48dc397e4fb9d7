"""Feedback buttons: Slack's signed requests to the service's endpoint, over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from monitor.notify.feedback import FeedbackHandler
from monitor.types import AlertStatus, FeedbackKind, Stance
from monitor.web.slack import slack_router
from tests.support.clock import NOW
from tests.support.desks import Desk
from tests.support.servers import SlackAPI, serving_app

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def signed(body: bytes, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(at if at is not None else NOW.timestamp()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": "v0=" + digest.hexdigest(),
        "content-type": "application/x-www-form-urlencoded",
    }


def press(alert_id: int, kind: FeedbackKind, channel: str = "CARMS", ts: str = "1.0") -> bytes:
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ana"},
        "channel": {"id": channel},
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "actions": [{"action_id": f"feedback:{kind.value}", "value": str(alert_id)}],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


class Endpoint:
    def __init__(self, desk: Desk, url: str) -> None:
        self.desk = desk
        self.url = url + "/slack/actions"

    def post(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(self.url, content=body, headers=headers, timeout=10)


@pytest.fixture
def desk(tmp_path: Path, slack_api: SlackAPI) -> Desk:
    return Desk(tmp_path, slack_api)


@pytest.fixture
def endpoint(desk: Desk) -> Iterator[Endpoint]:
    # Slack signs with the time of the request: the desk's clock stands still at NOW.
    handler = FeedbackHandler(desk.repository, desk.sink(), SECRET, desk.clock)
    app = FastAPI()
    app.include_router(slack_router(handler))
    with serving_app(app) as url:
        yield Endpoint(desk, url)


def sent_alert(desk: Desk, claim: str = "shells") -> int:
    desk.evidence(claim)
    desk.outbox(interactive=True).deliver()
    return desk.repository.alerts(AlertStatus.SENT)[-1].id


def test_alerts_carry_the_four_buttons_with_their_alert(desk: Desk) -> None:
    alert_id = sent_alert(desk)
    [message] = desk.slack.posted
    actions = (
        json.loads(message["blocks"]) if isinstance(message["blocks"], str) else message["blocks"]
    )
    [buttons] = [b for b in actions if b["type"] == "actions"]
    shown = [(e.get("text") or e["placeholder"])["text"] for e in buttons["elements"]]
    assert shown == [
        "Relevant", "Not relevant", "Wrong stance? Set it", "Mute story",
    ]  # fmt: skip
    assert {e["value"] for e in buttons["elements"] if "value" in e} == {str(alert_id)}


def test_unsigned_forged_or_replayed_requests_are_refused(endpoint: Endpoint) -> None:
    alert_id = sent_alert(endpoint.desk)
    body = press(alert_id, FeedbackKind.NOT_RELEVANT)
    assert (
        endpoint.post(body, {"content-type": "application/x-www-form-urlencoded"}).status_code
        == 401
    )
    assert endpoint.post(body, signed(body, secret="wrong")).status_code == 401
    assert endpoint.post(body, signed(body, at=NOW.timestamp() - 600)).status_code == 401
    tampered = press(alert_id, FeedbackKind.RELEVANT)
    assert endpoint.post(tampered, signed(body)).status_code == 401
    threshold = endpoint.desk.repository.claims()[0].threshold
    assert threshold == endpoint.desk.claims["shells"].threshold  # nothing was applied


def test_not_relevant_is_stored_shown_on_the_message_and_raises_the_threshold(
    endpoint: Endpoint,
) -> None:
    desk = endpoint.desk
    alert_id = sent_alert(desk)
    before = desk.claims["shells"].threshold
    body = press(alert_id, FeedbackKind.NOT_RELEVANT, ts="1700.1")
    started = time.monotonic()
    answer = endpoint.post(body, signed(body))
    assert answer.status_code == 200 and time.monotonic() - started < 3
    after = {c.key: c.threshold for c in desk.repository.claims()}
    assert after["shells"] == pytest.approx(before + 0.02)
    assert desk.repository.not_relevant_quotes([desk.claims["shells"].id])

    deadline = time.monotonic() + 5
    while not desk.slack.updated and time.monotonic() < deadline:
        time.sleep(0.02)
    [update] = desk.slack.updated
    assert update["ts"] == "1700.1" and update["channel"] == "CARMS"
    assert "not relevant — @ana" in json.dumps(update["blocks"], ensure_ascii=False)


def test_mute_story_silences_that_story(endpoint: Endpoint) -> None:
    desk = endpoint.desk
    alert_id = sent_alert(desk)
    body = press(alert_id, FeedbackKind.MUTE_STORY)
    assert endpoint.post(body, signed(body)).status_code == 200
    [mute] = desk.repository.active_mutes(desk.clock())
    assert "@ana" in mute.reason

    story = desk.repository.alerts(AlertStatus.SENT)[-1].story_id
    assert mute.target_id == story


def test_feedback_on_an_unknown_alert_is_a_clear_404(endpoint: Endpoint) -> None:
    body = press(999, FeedbackKind.RELEVANT)
    answer = endpoint.post(body, signed(body))
    assert answer.status_code == 404 and "alert 999 not found" in answer.text


def test_relevant_lowers_the_threshold_within_bounds(endpoint: Endpoint) -> None:
    desk = endpoint.desk
    alert_id = sent_alert(desk, "drones")
    before = desk.claims["drones"].threshold
    for _ in range(15):
        body = press(alert_id, FeedbackKind.RELEVANT)
        assert endpoint.post(body, signed(body)).status_code == 200
    after = {c.key: c.threshold for c in desk.repository.claims()}
    assert after["drones"] == pytest.approx(before - 0.1)  # bounded: feedback cannot run away


def test_wrong_stance_is_recorded_on_the_alert(endpoint: Endpoint) -> None:
    desk = endpoint.desk
    desk.evidence("shells", Stance.CONTRADICTS)
    desk.outbox(interactive=True).deliver()
    alert_id = desk.repository.alerts(AlertStatus.SENT)[0].id
    body = press(alert_id, FeedbackKind.WRONG_STANCE)
    assert endpoint.post(body, signed(body)).status_code == 200
    alert = desk.repository.record_feedback(alert_id, FeedbackKind.RELEVANT, "@bo", desk.clock())
    assert alert.feedback == ("wrong_stance by @ana", "relevant by @bo")
