"""What the desk receives in Slack: alerts in the outbox, editors' feedback, mutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from monitor.types.claims import Stance
from monitor.types.evidence import ReportedStance
from monitor.types.watchlists import AlertPolicy


class AlertStatus(StrEnum):
    """Delivery state of an alert in the outbox."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; reconciled with Slack if the sender died
    SENT = "sent"
    BATCHED = "batched"  # delivered inside a summary (a burst, or the catch-up after quiet hours)
    MUTED = "muted"  # its story, source or claim was muted: never sent
    FAILED = "failed"


class FeedbackKind(StrEnum):
    """What an editor said about an alert, with the buttons under it."""

    RELEVANT = "relevant"
    NOT_RELEVANT = "not_relevant"
    WRONG_STANCE = "wrong_stance"
    MUTE_STORY = "mute_story"


class MuteTarget(StrEnum):
    """What a mute silences."""

    STORY = "story"
    SOURCE = "source"
    CLAIM = "claim"


@dataclass(frozen=True)
class Alert:
    """One alert waiting in (or delivered from) the outbox, with everything needed to render it."""

    id: int
    watchlist_key: str
    watchlist_name: str
    channel: str
    claim_key: str
    claim_text: str
    item_url: str
    item_title: str
    source_name: str
    published_at: datetime | None
    quote: str
    score: float
    stance: Stance
    stance_confidence: float
    created_at: datetime
    status: AlertStatus = AlertStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    outlets: tuple[str, ...] = ()  # every source that carried the story, first one first
    claim_id: int = 0
    source_id: int = 0
    story_id: int | None = None
    timezone: str = "UTC"  # the watchlist's
    policy: AlertPolicy = field(default_factory=AlertPolicy)
    slack_ts: str | None = None
    thread_ts: str | None = None  # the thread it went (or goes) into
    next_attempt_at: datetime | None = None
    feedback: tuple[str, ...] = ()  # what editors said about it, e.g. "not_relevant by @ana"
    holder: str = ""  # who holds the stance, as the text names them (see Evidence)
    reported: tuple[ReportedStance, ...] = ()
    evidence_id: int = 0
    corrected_by: str = ""  # the editor who set ``stance`` ("" when it is the model's)
    model_stance: Stance | None = None  # what the model had read, once an editor corrected it


@dataclass(frozen=True)
class Mute:
    """Alerts about ``target`` (a story, source or claim id) are not sent before ``until``."""

    target: MuteTarget
    target_id: int
    until: datetime
    reason: str = ""
