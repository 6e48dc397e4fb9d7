"""Editors correct the stance the model read: from the menu under a Slack alert (signed requests
over real HTTP), in the store, and in `monitor stance corrections`, the desk's own figure."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI

from monitor.errors import NotFoundError
from monitor.judge.corrections import summarize
from monitor.notify.feedback import FeedbackHandler
from monitor.types import AlertStatus, FeedbackKind, Stance
from monitor.web.slack import slack_router
from tests.support.cli import run_cli
from tests.support.databases import database_url
from tests.support.desks import Desk
from tests.support.servers import SlackAPI, serving_app
from tests.test_feedback import SECRET, Endpoint, press, signed


@pytest.fixture
def desk(tmp_path: Path, slack_api: SlackAPI) -> Desk:
    return Desk(tmp_path, slack_api)


@pytest.fixture
def endpoint(desk: Desk) -> Iterator[Endpoint]:
    handler = FeedbackHandler(desk.repository, desk.sink(), SECRET, desk.clock)
    app = FastAPI()
    app.include_router(slack_router(handler))
    with serving_app(app) as url:
        yield Endpoint(desk, url)


def choose(alert_id: int, value: str, ts: str = "1.0") -> bytes:
    """An editor picking ``value`` ("<alert id>:<stance>") in the stance menu."""
    payload = {
        "type": "block_actions",
        "user": {"id": "U1", "username": "ana"},
        "channel": {"id": "CARMS"},
        "container": {"type": "message", "message_ts": ts, "channel_id": "CARMS"},
        "actions": [
            {
                "action_id": "feedback:stance",
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value},
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def sent(desk: Desk, stance: Stance = Stance.SUPPORTS) -> int:
    desk.evidence("shells", stance)
    desk.outbox(interactive=True).deliver()
    return desk.repository.alerts(AlertStatus.SENT)[-1].id


def blocks(message: dict[str, object]) -> list[dict[str, object]]:
    raw = message["blocks"]
    return json.loads(raw) if isinstance(raw, str) else raw  # type: ignore[return-value]


def updated(desk: Desk) -> dict[str, object]:
    deadline = time.monotonic() + 5
    while not desk.slack.updated and time.monotonic() < deadline:
        time.sleep(0.02)
    return desk.slack.updated[-1]


def test_the_alert_offers_the_other_two_stances_in_a_menu(desk: Desk) -> None:
    alert_id = sent(desk, Stance.SUPPORTS)
    [actions] = [b for b in blocks(desk.slack.posted[0]) if b["type"] == "actions"]
    [menu] = [e for e in actions["elements"] if e["type"] == "static_select"]  # type: ignore[index,union-attr]
    assert [o["value"] for o in menu["options"]] == [
        f"{alert_id}:contradicts",
        f"{alert_id}:mentions",
    ]


def test_an_editors_stance_replaces_the_models_everywhere_and_the_models_is_kept(
    endpoint: Endpoint,
) -> None:
    desk = endpoint.desk
    alert_id = sent(desk, Stance.SUPPORTS)
    body = choose(alert_id, f"{alert_id}:contradicts", ts="1700.2")
    assert endpoint.post(body, signed(body)).status_code == 200

    [alert] = desk.repository.alerts(AlertStatus.SENT)
    assert alert.stance is Stance.CONTRADICTS
    assert (alert.corrected_by, alert.model_stance) == ("@ana", Stance.SUPPORTS)
    [record] = desk.repository.evidence_records(desk.claims["shells"].id)
    assert record.evidence.stance is Stance.CONTRADICTS
    assert record.feedback == ("wrong_stance by @ana",)
    update = updated(desk)
    assert update["ts"] == "1700.2"
    shown = json.dumps(blocks(update), ensure_ascii=False)
    assert "stance set by @ana (the model read _supports_)" in shown
    assert "stance corrected — @ana" in shown
    # The menu now offers the two stances the alert does not have.
    [actions] = [b for b in blocks(update) if b["type"] == "actions"]
    [menu] = [e for e in actions["elements"] if e["type"] == "static_select"]  # type: ignore[index,union-attr]
    assert {o["value"] for o in menu["options"]} == {
        f"{alert_id}:supports",
        f"{alert_id}:mentions",
    }


def test_a_second_correction_keeps_the_models_first_reading_and_undoing_clears_it(
    desk: Desk,
) -> None:
    desk.evidence("shells", Stance.SUPPORTS)
    [record] = desk.repository.evidence_records()
    first = desk.repository.correct_stance(record.id, Stance.MENTIONS, "@ana", desk.clock())
    assert (first.evidence.stance, first.evidence.model_stance) == (
        Stance.MENTIONS,
        Stance.SUPPORTS,
    )
    second = desk.repository.correct_stance(record.id, Stance.CONTRADICTS, "@bo", desk.clock())
    assert (second.evidence.model_stance, second.evidence.corrected_by) == (Stance.SUPPORTS, "@bo")
    undone = desk.repository.correct_stance(record.id, Stance.SUPPORTS, "@bo", desk.clock())
    assert undone.evidence.stance is Stance.SUPPORTS
    assert (undone.evidence.model_stance, undone.evidence.corrected_by) == (None, "")
    assert desk.repository.stance_corrections() == []
    with pytest.raises(NotFoundError, match="evidence 999 not found"):
        desk.repository.correct_stance(999, Stance.MENTIONS, "@ana", desk.clock())


@pytest.mark.parametrize(
    "value", ["{id}:unrelated", "{id}:agrees", "{id}", "x:mentions", "", "{id}:" + "s" * 5000]
)
def test_a_bad_stance_choice_is_a_clear_400_and_changes_nothing(
    endpoint: Endpoint, value: str
) -> None:
    desk = endpoint.desk
    alert_id = sent(desk, Stance.SUPPORTS)
    body = choose(alert_id, value.format(id=alert_id))
    answer = endpoint.post(body, signed(body))
    assert answer.status_code == 400 and "unknown stance choice" in answer.text
    assert len(answer.text) < 300
    [alert] = desk.repository.alerts(AlertStatus.SENT)
    assert alert.stance is Stance.SUPPORTS and alert.feedback == ()


def test_the_old_wrong_stance_button_is_still_recorded(endpoint: Endpoint) -> None:
    desk = endpoint.desk
    alert_id = sent(desk, Stance.CONTRADICTS)
    body = press(alert_id, FeedbackKind.WRONG_STANCE)
    assert endpoint.post(body, signed(body)).status_code == 200
    [record] = desk.repository.evidence_records()
    assert record.evidence.stance is Stance.CONTRADICTS and record.evidence.model_stance is None
    assert record.feedback == ("wrong_stance by @ana",)


def test_the_corrections_command_measures_the_model_on_the_desks_alerts(
    tmp_path: Path, desk: Desk
) -> None:
    for stance in (Stance.SUPPORTS, Stance.SUPPORTS, Stance.MENTIONS, Stance.CONTRADICTS):
        desk.evidence("shells", stance)
    records = {r.evidence.stance: r for r in desk.repository.evidence_records()}
    desk.repository.correct_stance(
        records[Stance.MENTIONS].id, Stance.CONTRADICTS, "@ana", desk.clock()
    )
    desk.clock.advance(days=10)
    desk.repository.correct_stance(
        records[Stance.CONTRADICTS].id, Stance.SUPPORTS, "@bo", desk.clock()
    )
    env = {"MONITOR_DATABASE_URL": database_url(tmp_path / "desk.sqlite3")}
    out = tmp_path / "corrected.jsonl"
    shown = run_cli(["stance", "corrections", "--export", str(out)], env=env, clock=desk.clock)
    assert shown.exit_code == 0, shown.output
    assert "4 alerts, 2 with the stance corrected by an editor (50.0% left" in shown.output
    assert "model mentions    -> editor contradicts 1" in shown.output
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["model"], e["label"], e["corrected_by"]) for e in exported] == [
        ("mentions", "contradicts", "@ana"),
        ("contradicts", "supports", "@bo"),
    ]
    assert exported[0]["claim"] == "North Korea is shipping artillery shells to Russia"
    assert exported[0]["body"].startswith("Report number")

    recent = run_cli(["stance", "corrections", "--days", "3", "--json"], env=env, clock=desk.clock)
    figures = json.loads(recent.stdout)
    assert figures["corrected"] == 1 and figures["corrections"] == [
        {"model": "contradicts", "editor": "supports", "count": 1}
    ]


def test_a_summary_of_no_alerts_says_so() -> None:
    summary = summarize([], 0)
    assert summary.left_alone is None and summary.report() == "no alerts yet: nothing to measure"
