"""Plain domain types shared by every part of monitor.

Everything outside the storage package speaks in these frozen dataclasses and enums; none of them
knows about SQLAlchemy, HTTP or Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from pathlib import Path


class Stance(StrEnum):
    """What an item says about a claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    MENTIONS = "mentions"
    UNRELATED = "unrelated"


class SourceKind(StrEnum):
    """How a source is read: a syndication feed or an HTML listing page."""

    FEED = "feed"
    PAGE = "page"


class Verdict(StrEnum):
    """The desk's current verdict on a claim (set by editors, never by the model)."""

    UNVERIFIED = "unverified"
    SUPPORTED = "supported"
    DISPUTED = "disputed"
    REFUTED = "refuted"


class WebSubState(StrEnum):
    """Where a source's WebSub (push) subscription stands."""

    NONE = "none"
    PENDING = "pending"  # asked the hub, waiting for its verification
    ACTIVE = "active"
    DENIED = "denied"


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


class DigestStatus(StrEnum):
    """Where a watchlist's digest for one period stands."""

    SENDING = "sending"  # claimed by a sender; taken over (same Message-ID) if it died
    RETRYING = "retrying"  # the mail server was unreachable; tried again later
    SENT = "sent"  # accepted for at least one recipient (refusals are recorded)
    FAILED = "failed"  # refused for every recipient, or a permanent SMTP error


# --- Watchlists, as editors write them -------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """A source as configured in a watchlist."""

    name: str
    url: str
    kind: SourceKind = SourceKind.FEED
    poll_interval: timedelta = timedelta(minutes=15)
    selector: str | None = None
    full_text: bool = False
    # How far the adaptive interval may move (None: a quarter of / four times poll_interval).
    min_poll_interval: timedelta | None = None
    max_poll_interval: timedelta | None = None


@dataclass(frozen=True)
class ClaimSpec:
    """A tracked claim as configured in a watchlist. ``key`` (``id:`` in the file) is stable
    across edits; a stored :class:`Claim` adds its database ``id``."""

    key: str
    text: str
    paraphrases: tuple[str, ...] = ()
    threshold: float | None = None
    verdict: Verdict = Verdict.UNVERIFIED
    notes: str = ""

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The claim text followed by its paraphrases: everything matching compares against."""
        return (self.text, *self.paraphrases)


@dataclass(frozen=True)
class DigestSpec:
    """Who gets the watchlist's daily digest email, and when (local time in ``timezone``).

    A claim with no new evidence for ``stale_after_days`` days is listed as stale.
    """

    recipients: tuple[str, ...] = ()
    send_at: time = time(7, 0)
    timezone: str = "UTC"
    stale_after_days: int = 7


@dataclass(frozen=True)
class QuietHours:
    """A daily window, in the watchlist's time zone, when alerts wait (may span midnight)."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


@dataclass(frozen=True)
class AlertPolicy:
    """How a watchlist's alerts reach Slack: extra channels per stance, quiet hours, limits.

    Beyond ``per_claim_per_hour`` alerts for one claim in one channel (``per_channel_per_hour``
    for the channel), further evidence goes out as one summary message. Contradictions are
    exempt from the per-claim limit: they always get their own message.
    """

    routes: tuple[tuple[Stance, tuple[str, ...]], ...] = ()
    quiet_hours: QuietHours | None = None
    per_claim_per_hour: int = 6
    per_channel_per_hour: int = 30

    def channels(self, main: str, stance: Stance) -> tuple[str, ...]:
        """Every channel an alert of ``stance`` goes to, the watchlist's own first."""
        extra = [c for s, channels in self.routes if s is stance for c in channels]
        return tuple(dict.fromkeys([main, *extra]))


@dataclass(frozen=True)
class Watchlist:
    """A desk's list of claims and the sources to watch for them.

    ``fingerprint`` (SHA-256 of the file's text) tells an edited file from a reloaded one;
    ``managed_in_git``: its file is changed in git only, never by the web UI or API.
    """

    key: str
    name: str
    slack_channel: str
    sources: tuple[SourceSpec, ...]
    claims: tuple[ClaimSpec, ...]
    description: str = ""
    timezone: str = "UTC"
    threshold: float = 0.6
    digest: DigestSpec = field(default_factory=DigestSpec)
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    path: Path | None = None
    fingerprint: str = ""
    managed_in_git: bool = False


# --- What ingestion produces -----------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    """One entry parsed from a feed, before it is stored."""

    key: str
    url: str
    title: str
    text: str
    published_at: datetime | None = None
    # The text's near-duplicate sketch (monitor.ingest.dedup), when the parser computed it.
    sketch: tuple[int, ...] | None = None


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one conditional GET of a source."""

    url: str
    status: int
    content: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# --- Stored records --------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A stored source with its fetch state.

    ``poll_interval`` is what the watchlist asks for; ``adapted_interval`` is what polling has
    learnt from how often the source publishes (see :mod:`monitor.ingest.policy`).
    """

    id: int
    name: str
    url: str
    kind: SourceKind
    poll_interval: timedelta
    selector: str | None = None
    full_text: bool = False
    min_poll_interval: timedelta | None = None
    max_poll_interval: timedelta | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    error_count: int = 0
    last_duration: float | None = None  # seconds its last poll took
    failing_since: datetime | None = None
    next_poll_at: datetime | None = None
    adapted_interval: timedelta | None = None
    hub_url: str | None = None
    topic_url: str | None = None
    websub_secret: str | None = None
    websub_state: WebSubState = WebSubState.NONE
    websub_lease_until: datetime | None = None
    websub_error: str | None = None
    websub_changed_at: datetime | None = None

    @property
    def current_interval(self) -> timedelta:
        """How often the source is polled now: the adapted interval, else the configured one."""
        return self.adapted_interval or self.poll_interval


@dataclass(frozen=True)
class Item:
    """A stored news item."""

    id: int
    source_id: int
    key: str
    url: str
    title: str
    text: str
    published_at: datetime | None
    fetched_at: datetime
    story_id: int | None = None  # items carrying the same (wire) story share it


@dataclass(frozen=True)
class Claim:
    """A stored claim: its watchlist spec plus database identity."""

    id: int
    watchlist_key: str
    spec: ClaimSpec
    threshold: float

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def text(self) -> str:
        return self.spec.text


# --- What judging produces -------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A passage of an item that is semantically close to a claim.

    ``context`` holds the item's passages closest to the claim, closest first (``passage`` is
    the first): what a stance model reads. ``margin`` is how much closer the item is to this
    claim than to the closest other claim it was compared with (monitor.judge.match).
    """

    claim_id: int
    item_id: int
    passage: str
    score: float
    context: tuple[str, ...] = ()
    margin: float = 0.0


@dataclass(frozen=True)
class StanceResult:
    """A stance decision with its confidence and the passage that carries it.

    ``related`` is the classifier's probability that the item bears on the claim at all
    (1 - p(unrelated)); classifiers that cannot tell leave it at 1.0.
    """

    stance: Stance
    confidence: float
    quote: str
    related: float = 1.0


@dataclass(frozen=True)
class ReportedStance:
    """A position an item reports someone taking besides its own news: the denial a report of
    the shipments recalls in passing ("Tehran has denied supplying drones")."""

    stance: Stance
    holder: str  # who takes it, as the text names them
    quote: str


@dataclass(frozen=True)
class Evidence:
    """A claim x item pair worth recording: the quote, similarity score and stance.

    ``stance`` is the item's primary stance (its news); ``holder`` says who holds it as the
    text names them ("NSC spokesman John Kirby", "the outlet" when nobody is named); ``reported``
    lists the other positions the item reports (a denial recalled in passing).
    """

    claim_id: int
    item_id: int
    score: float
    quote: str
    stance: Stance
    stance_confidence: float
    # False: recorded without an alert (old news found by a backfill, or an item like those
    # editors marked not relevant for this claim).
    alert: bool = True
    holder: str = ""
    reported: tuple[ReportedStance, ...] = ()
    related: float | None = None  # the stance model's probability that the item bears on it


# --- What the desk receives ------------------------------------------------------------------


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


@dataclass(frozen=True)
class Mute:
    """Alerts about ``target`` (a story, source or claim id) are not sent before ``until``."""

    target: MuteTarget
    target_id: int
    until: datetime
    reason: str = ""


# --- The web front end -----------------------------------------------------------------------


class Role(StrEnum):
    """What a web user may do: viewers read, editors edit watchlists and sources, admins also
    manage users."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    def allows(self, needed: Role) -> bool:
        order = (Role.VIEWER, Role.EDITOR, Role.ADMIN)
        return order.index(self) >= order.index(needed)


@dataclass(frozen=True)
class User:
    """A person who signs in to the web UI (or calls the API with one of their tokens)."""

    id: int
    name: str
    role: Role
    active: bool = True


@dataclass(frozen=True)
class EvidenceRecord:
    """Stored evidence with what a page shows beside it: the item, its outlet, the feedback."""

    id: int
    evidence: Evidence
    claim_key: str
    item_title: str
    item_url: str
    source_name: str
    published_at: datetime | None
    created_at: datetime
    alerted: bool = True  # False: recorded by a backfill (or held back) without an alert
    feedback: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditEntry:
    """One edit made through the web UI or API: who, when, what, before and after."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: dict[str, object] | None
    after: dict[str, object] | None


# --- Daily digests ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSubscription:
    """A watchlist whose desk gets a daily digest email, as stored."""

    watchlist_key: str
    watchlist_name: str
    spec: DigestSpec


@dataclass(frozen=True)
class DigestRecord:
    """One watchlist's digest for one period (its local date): what it covers and how its
    sending went. ``refused`` maps each refused recipient to the server's answer."""

    id: int
    watchlist_key: str
    period: str  # YYYY-MM-DD in the digest's time zone
    status: DigestStatus
    message_id: str
    since: datetime
    until: datetime
    recipients: tuple[str, ...]
    created_at: datetime
    refused: tuple[tuple[str, str], ...] = ()
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class ServiceStatus:
    """The state of the service at a glance (``monitor status``, ``/metrics``)."""

    sources: int
    sources_failing: int
    sources_disabled: int
    sources_overdue: int  # due more than five minutes ago and not polled
    last_success_at: datetime | None
    items: int
    items_last_day: int
    unjudged: int
    evidence_last_day: dict[str, int]
    alerts_pending: int
    alerts_sending: int
    alerts_failed: int
    alerts_sent_last_day: int
    oldest_pending_at: datetime | None
    # Syncs refused for carrying an older copy of a watchlist than the database holds.
    watchlists_refused: tuple[str, ...] = ()
