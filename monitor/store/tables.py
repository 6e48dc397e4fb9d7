"""Database tables (SQLAlchemy 2). Only the storage package imports this module.

Portable across SQLite and PostgreSQL: timestamps are stored as UTC, long unique strings are
indexed through their SHA-256 digest, JSON columns use the generic JSON type.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class WatchlistRow(Base):
    __tablename__ = "watchlists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    slack_channel: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    threshold: Mapped[float] = mapped_column(Float)
    digest_recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    digest_send_at: Mapped[str] = mapped_column(String(5), default="07:00")
    # The digest's time zone when it is not the watchlist's; claims quiet this long are stale.
    digest_timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    digest_stale_after_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # Routes, quiet hours and rate limits of its Slack alerts (see AlertPolicy).
    alert_policy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    # SHA-256 of the file's text: an edited file re-enables the sources it reads.
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The file says it is changed in git only: the web UI and API show it read-only.
    managed_in_git: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The last sync refused for carrying an older copy of the file (what, where, when).
    sync_refused: Mapped[str | None] = mapped_column(Text, nullable=True)
    sync_refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WatchlistVersionRow(Base):
    """Every version of a watchlist's file the database has stored: a copy whose fingerprint is
    here but is not the current one is older, and is never stored again."""

    __tablename__ = "watchlist_versions"
    __table_args__ = (UniqueConstraint("watchlist_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who brought it: "web edit by ana", "file on host:pid".
    origin: Mapped[str] = mapped_column(String(300), default="")


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    poll_interval_s: Mapped[int] = mapped_column(Integer)
    adapted_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_interval_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    selector: Mapped[str | None] = mapped_column(Text, nullable=True)
    full_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    etag: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    last_duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hub_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    topic_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    websub_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    websub_state: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    websub_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    websub_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    websub_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A worker polling the source holds it until then (several workers share the sources).
    # Disabled by a person (web UI, API), not given up on: editing its watchlist keeps it off.
    disabled_by_editor: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WatchlistSourceRow(Base):
    """Which watchlists read which source (one source may serve several desks)."""

    __tablename__ = "watchlist_sources"

    watchlist_id: Mapped[int] = mapped_column(
        ForeignKey("watchlists.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True
    )


class ClaimRow(Base):
    __tablename__ = "claims"
    __table_args__ = (UniqueConstraint("watchlist_id", "key", name="uq_claims_watchlist_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    paraphrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    verdict: Mapped[str] = mapped_column(String(20), default="unverified")
    notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Added to the match threshold by editors' feedback (not relevant: up; relevant: down).
    feedback_adjustment: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")


class ItemRow(Base):
    __tablename__ = "items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)
    judged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    story_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    sketch: Mapped[list[int] | None] = mapped_column(JSON, nullable=True)
    # A worker judging the item holds it until then.
    judge_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    judge_lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (
        Index("ix_items_unjudged", "judged_at", "id"),
        Index("ix_items_source_fetched", "source_id", "fetched_at"),
    )


class ItemAnchorRow(Base):
    """The few smallest MinHash values of an item's text: how near-duplicates are found."""

    __tablename__ = "item_anchors"

    anchor: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )


class EvidenceRow(Base):
    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("claim_id", "item_id", name="uq_evidence_claim_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    quote: Mapped[str] = mapped_column(Text)
    stance: Mapped[str] = mapped_column(String(20))
    stance_confidence: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who holds the stance ("the outlet" when unattributed; NULL: judged before attribution).
    holder: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Positions the item reports besides its news: [{"stance", "holder", "quote"}].
    reported: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    related: Mapped[float | None] = mapped_column(Float, nullable=True)
    # An editor's correction of the stance: ``stance`` is theirs, ``model_stance`` the model's.
    model_stance: Mapped[str | None] = mapped_column(String(20), nullable=True)
    corrected_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    corrected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NearMissRow(Base):
    """A candidate just under its claim's bar, kept for editors to confirm or dismiss."""

    __tablename__ = "near_misses"
    __table_args__ = (UniqueConstraint("claim_id", "item_id", name="uq_near_misses_claim_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    relevance: Mapped[float] = mapped_column(Float)
    quote: Mapped[str] = mapped_column(Text)
    stance: Mapped[str] = mapped_column(String(20))
    stance_confidence: Mapped[float] = mapped_column(Float)
    holder: Mapped[str | None] = mapped_column(Text, nullable=True)
    reported: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, nullable=True)
    related: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # What an editor made of it ("accepted": now evidence; "dismissed"); NULL: not yet looked at.
    review: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AlertRow(Base):
    """The outbox: one row per alert to deliver, written with its evidence."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("evidence_id", "channel", name="uq_alerts_evidence_channel"),
        Index("ix_alerts_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id", ondelete="CASCADE"))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    slack_ts: Mapped[str | None] = mapped_column(String(50), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Not retried before this (Slack's Retry-After, or backoff after a transient error).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When a sender took it (status "sending"); a stale claim is checked against Slack.
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    thread_ts: Mapped[str | None] = mapped_column(String(50), nullable=True)


class SlackThreadRow(Base):
    """The day's thread of a claim in a channel: its first message."""

    __tablename__ = "slack_threads"
    __table_args__ = (
        UniqueConstraint("channel", "claim_id", "day", name="uq_slack_threads_channel_claim_day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(100))
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # the watchlist's local date, YYYY-MM-DD
    ts: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MuteRow(Base):
    """Alerts about a story, source or claim are not sent before ``until``."""

    __tablename__ = "mutes"
    __table_args__ = (Index("ix_mutes_target", "target", "target_id", "until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(10))
    target_id: Mapped[int] = mapped_column(Integer)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackRow(Base):
    """An editor's verdict on an alert (the buttons under it in Slack)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    user_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserRow(Base):
    """A person who signs in to the web UI; the password is kept as an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebSessionRow(Base):
    """A signed-in web session, kept as the SHA-256 of the random id its cookie carries:
    signing out deletes it, and a copied cookie is worth nothing after that."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiTokenRow(Base):
    """A bearer token for the REST API, kept as the SHA-256 of the (random) token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditRow(Base):
    """Every edit made through the web UI or API: who, when, what, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    target: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class PassageVectorRow(Base):
    """An item passage's embedding (float32 bytes), tagged with the model that made it: the
    archive that claim previews and backfills search."""

    __tablename__ = "passage_vectors"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True
    )
    passage_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_key: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    passage: Mapped[str] = mapped_column(Text)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class DigestRow(Base):
    """A watchlist's daily digest email for one period (its local date). The row is claimed
    before the mail is sent, so a period is never sent twice."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("watchlist_id", "period", name="uq_digests_watchlist_period"),
        Index("ix_digests_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the digest's time zone
    status: Mapped[str] = mapped_column(String(20))
    # Deterministic: a retry after a crash carries the same Message-ID as the first try.
    message_id: Mapped[str] = mapped_column(String(300))
    since: Mapped[datetime] = mapped_column(UTCDateTime)  # evidence stored in [since, until)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    refused: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
