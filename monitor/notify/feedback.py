"""Editors' feedback from the buttons under each alert (Slack interactivity requests).

Slack POSTs a signed form (``payload=<json>``) to ``/slack/actions``. The request is checked
(HMAC signature and a timestamp at most five minutes old) before anything is read; the feedback
is stored at once, and the message is updated in Slack in the background, so the answer goes
back well within Slack's 3 seconds.

What feedback does: "Not relevant" raises the claim's match threshold a little and stops items
like that one alerting for the claim; "Relevant" lowers the threshold a little; "Mute story"
mutes the story for a week; "Wrong stance? Set it" sets the stance the editor reads in place
of the model's, everywhere it is shown (the claim's history, the digest, the API), keeps what
the model read beside it, and is counted by ``monitor stance corrections``: how the model reads
this desk's reporting. Every choice is shown on the message.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

from monitor.alerting import moved_adjustment
from monitor.errors import MonitorError, NotFoundError
from monitor.notify.messages import FEEDBACK_ACTION_PREFIX, STANCE_ACTION, render_alert
from monitor.notify.slack import AlertSink
from monitor.store import Repository
from monitor.types import EDITOR_STANCES, FeedbackKind, Mute, MuteTarget, Stance

log = logging.getLogger(__name__)
STORY_MUTE = timedelta(days=7)


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to give Slack."""

    status: int
    text: str = ""


@dataclass(frozen=True)
class Action:
    """One button press, read from Slack's payload."""

    kind: FeedbackKind
    alert_id: int
    user: str
    channel: str | None
    message_ts: str | None
    stance: Stance | None = None  # the stance an editor set (from the stance menu)


class _ServiceClock(Clock):
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    def now(self) -> float:
        return self._clock().timestamp()


def run_in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="slack-feedback", daemon=True).start()


class FeedbackHandler:
    """Checks, stores and applies Slack interactivity requests."""

    def __init__(
        self,
        repository: Repository,
        sink: AlertSink,
        signing_secret: str,
        clock: Callable[[], datetime],
        *,
        background: Callable[[Callable[[], None]], None] = run_in_thread,
    ) -> None:
        self.repository = repository
        self.sink = sink
        self.clock = clock
        self._verifier = SignatureVerifier(signing_secret, _ServiceClock(clock))
        self._background = background

    def handle(self, body: bytes, headers: Mapping[str, str]) -> Answer:
        if not self._verifier.is_valid_request(body, dict(headers)):
            return Answer(401, "invalid or expired Slack signature")
        try:
            actions = read_actions(body)
        except ValueError as err:
            return Answer(400, f"unreadable Slack payload: {err}")
        for action in actions:
            try:
                self.apply(action)
            except MonitorError as err:
                log.warning("feedback on alert %d not applied: %s", action.alert_id, err)
                return Answer(404 if isinstance(err, NotFoundError) else 500, str(err))
        return Answer(200)

    def apply(self, action: Action) -> None:
        """Store the feedback and act on it; the Slack message is updated in the background."""
        now = self.clock()
        alert = self.repository.record_feedback(
            action.alert_id,
            action.kind,
            action.user,
            now,
            adjust=lambda current: moved_adjustment(current, action.kind),
        )
        if action.stance is not None:
            record = self.repository.correct_stance(
                alert.evidence_id, action.stance, action.user, now
            )
            corrected = record.evidence
            alert = replace(
                alert,
                stance=corrected.stance,
                corrected_by=corrected.corrected_by,
                model_stance=corrected.model_stance,
            )
        if action.kind is FeedbackKind.MUTE_STORY:
            target, target_id = (
                (MuteTarget.STORY, alert.story_id)
                if alert.story_id is not None
                else (MuteTarget.SOURCE, alert.source_id)
            )
            reason = f"muted from Slack by {action.user}"
            self.repository.add_mute(
                Mute(target, target_id, now + STORY_MUTE, reason), action.user, now
            )
        log.info("alert %d: %s by %s", alert.id, action.kind.value, action.user)
        channel, ts = action.channel or alert.channel, action.message_ts or alert.slack_ts
        if ts:
            message = render_alert(alert, interactive=True)
            self._background(lambda: self._update(channel, ts, message))

    def _update(self, channel: str, ts: str, message: Any) -> None:
        try:
            self.sink.update(channel, ts, message)
        except MonitorError as err:
            log.warning("could not show feedback on the Slack message: %s", err)


def read_actions(body: bytes) -> list[Action]:
    """The feedback button presses in a ``block_actions`` request (others are ignored)."""
    form = parse_qs(body.decode("utf-8"))
    if "payload" not in form:
        raise ValueError("no payload field")
    payload = json.loads(form["payload"][0])
    if not isinstance(payload, dict) or payload.get("type") != "block_actions":
        return []
    user = payload.get("user") or {}
    name = str(user.get("username") or user.get("name") or user.get("id") or "someone")
    channel = (payload.get("channel") or {}).get("id")
    container = payload.get("container") or {}
    ts = container.get("message_ts") or (payload.get("message") or {}).get("ts")
    actions = []
    for raw in payload.get("actions") or []:
        action_id = str(raw.get("action_id", ""))
        if not action_id.startswith(FEEDBACK_ACTION_PREFIX):
            continue
        if action_id == STANCE_ACTION:
            actions.append(_stance_action(raw, f"@{name}", channel, ts))
            continue
        try:
            kind = FeedbackKind(action_id.removeprefix(FEEDBACK_ACTION_PREFIX))
            alert_id = int(raw.get("value", ""))
        except ValueError as err:
            raise ValueError(f"unknown action {action_id[:50]!r}: {str(err)[:100]}") from err
        actions.append(Action(kind, alert_id, f"@{name}", channel, ts))
    return actions


def _stance_action(
    raw: Mapping[str, Any], user: str, channel: str | None, ts: str | None
) -> Action:
    """A choice from the stance menu: its option's value is "<alert id>:<stance>"."""
    value = str((raw.get("selected_option") or {}).get("value", ""))
    alert, _, chosen = value.partition(":")
    wanted = ", ".join(s.value for s in EDITOR_STANCES)
    stance = next((s for s in EDITOR_STANCES if s.value == chosen), None)
    if stance is None or not alert.isdigit():
        raise ValueError(f"unknown stance choice {value[:50]!r} (want <alert id>:{wanted})")
    return Action(FeedbackKind.WRONG_STANCE, int(alert), user, channel, ts, stance)
