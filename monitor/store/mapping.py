"""Rows to domain types, and alert policies to and from their JSON: the one place that knows
both the tables and the types."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from monitor.alerting import effective_threshold
from monitor.store.tables import (
    AlertRow,
    ClaimRow,
    DigestRow,
    EvidenceRow,
    ItemRow,
    NearMissRow,
    SourceRow,
    UserRow,
    WatchlistRow,
)
from monitor.types import (
    Alert,
    AlertPolicy,
    AlertStatus,
    Claim,
    ClaimSpec,
    DigestRecord,
    DigestSpec,
    DigestStatus,
    Evidence,
    EvidenceRecord,
    Item,
    NearMiss,
    NearMissRecord,
    QuietHours,
    ReportedStance,
    Review,
    Role,
    Source,
    SourceKind,
    SourceSpec,
    Stance,
    StanceCorrection,
    User,
    Verdict,
    Watchlist,
    WebSubState,
)


def policy_json(policy: AlertPolicy) -> dict[str, Any]:
    quiet = policy.quiet_hours
    return {
        "routes": {stance.value: list(channels) for stance, channels in policy.routes},
        "quiet_hours": [quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")]
        if quiet
        else None,
        "per_claim_per_hour": policy.per_claim_per_hour,
        "per_channel_per_hour": policy.per_channel_per_hour,
    }


def to_policy(data: dict[str, Any] | None) -> AlertPolicy:
    if not data:
        return AlertPolicy()
    quiet = data.get("quiet_hours")
    default = AlertPolicy()
    return AlertPolicy(
        routes=tuple(
            (Stance(stance), tuple(channels)) for stance, channels in data["routes"].items()
        ),
        quiet_hours=QuietHours(time.fromisoformat(quiet[0]), time.fromisoformat(quiet[1]))
        if quiet
        else None,
        per_claim_per_hour=int(data.get("per_claim_per_hour", default.per_claim_per_hour)),
        per_channel_per_hour=int(data.get("per_channel_per_hour", default.per_channel_per_hour)),
    )


def to_source(row: SourceRow) -> Source:
    return Source(
        id=row.id,
        name=row.name,
        url=row.url,
        kind=SourceKind(row.kind),
        poll_interval=timedelta(seconds=row.poll_interval_s),
        selector=row.selector,
        full_text=row.full_text,
        min_poll_interval=duration(row.min_interval_s),
        max_poll_interval=duration(row.max_interval_s),
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        etag=row.etag,
        last_modified=row.last_modified,
        last_fetched_at=row.last_fetched_at,
        last_success_at=row.last_success_at,
        last_error=row.last_error,
        error_count=row.error_count,
        last_duration=row.last_duration_s,
        failing_since=row.failing_since,
        next_poll_at=row.next_poll_at,
        adapted_interval=duration(row.adapted_interval_s or None),
        hub_url=row.hub_url,
        topic_url=row.topic_url,
        websub_secret=row.websub_secret,
        websub_state=WebSubState(row.websub_state or "none"),
        websub_lease_until=row.websub_lease_until,
        websub_error=row.websub_error,
        websub_changed_at=row.websub_changed_at,
    )


def to_item(row: ItemRow) -> Item:
    return Item(
        id=row.id,
        source_id=row.source_id,
        key=row.key,
        url=row.url,
        title=row.title,
        text=row.text,
        published_at=row.published_at,
        fetched_at=row.fetched_at,
        story_id=row.story_id,
    )


def to_claim(row: ClaimRow, watchlist: WatchlistRow) -> Claim:
    spec = ClaimSpec(
        key=row.key,
        text=row.text,
        paraphrases=tuple(row.paraphrases or ()),
        threshold=row.threshold,
        verdict=Verdict(row.verdict),
        notes=row.notes,
    )
    threshold = effective_threshold(
        row.threshold, watchlist.threshold, row.feedback_adjustment or 0.0
    )
    return Claim(id=row.id, watchlist_key=watchlist.key, spec=spec, threshold=threshold)


def to_evidence_record(
    row: EvidenceRow,
    claim_key: str,
    item: ItemRow,
    source_name: str,
    *,
    alerted: bool = True,
    feedback: tuple[str, ...] = (),
) -> EvidenceRecord:
    return EvidenceRecord(
        id=row.id,
        evidence=to_evidence(row),
        claim_key=claim_key,
        item_title=item.title,
        item_url=item.url,
        source_name=source_name,
        published_at=item.published_at,
        created_at=row.created_at,
        alerted=alerted,
        feedback=feedback,
    )


def to_correction(
    row: EvidenceRow, claim_key: str, claim_text: str, item: ItemRow
) -> StanceCorrection:
    assert row.model_stance is not None and row.corrected_at is not None
    return StanceCorrection(
        evidence_id=row.id,
        claim_key=claim_key,
        claim_text=claim_text,
        item_title=item.title,
        item_text=item.text,
        item_url=item.url,
        quote=row.quote,
        holder=row.holder or "",
        model_stance=Stance(row.model_stance),
        stance=Stance(row.stance),
        corrected_by=row.corrected_by or "",
        corrected_at=row.corrected_at,
    )


def to_evidence(row: EvidenceRow) -> Evidence:
    return _reading(
        row,
        corrected_by=row.corrected_by or "",
        model_stance=Stance(row.model_stance) if row.model_stance else None,
    )


def to_near_miss(row: NearMissRow) -> NearMiss:
    return NearMiss(_reading(row, alert=False), row.relevance)


def _reading(row: EvidenceRow | NearMissRow, **extra: Any) -> Evidence:
    """The reading an evidence or near-miss row keeps (their shared columns)."""
    return Evidence(
        claim_id=row.claim_id,
        item_id=row.item_id,
        score=row.score,
        quote=row.quote,
        stance=Stance(row.stance),
        stance_confidence=row.stance_confidence,
        holder=row.holder or "",
        reported=to_reported(row.reported),
        related=row.related,
        **extra,
    )


def evidence_row(found: Evidence, now: datetime) -> EvidenceRow:
    return EvidenceRow(**_reading_columns(found), created_at=now)


def near_miss_row(found: NearMiss, now: datetime) -> NearMissRow:
    return NearMissRow(
        **_reading_columns(found.evidence), relevance=found.relevance, created_at=now
    )


def _reading_columns(found: Evidence) -> dict[str, Any]:
    """The columns evidence and near-miss rows share, from a reading."""
    return {
        "claim_id": found.claim_id,
        "item_id": found.item_id,
        "score": found.score,
        "quote": found.quote,
        "stance": found.stance.value,
        "stance_confidence": found.stance_confidence,
        **attribution_columns(found),
    }


def to_near_miss_record(
    row: NearMissRow,
    claim_key: str,
    item: ItemRow,
    source_name: str,
    *,
    evidence_id: int | None = None,
) -> NearMissRecord:
    return NearMissRecord(
        id=row.id,
        near_miss=to_near_miss(row),
        claim_key=claim_key,
        item_title=item.title,
        item_url=item.url,
        source_name=source_name,
        published_at=item.published_at,
        created_at=row.created_at,
        review=Review(row.review) if row.review else None,
        reviewed_by=row.reviewed_by or "",
        reviewed_at=row.reviewed_at,
        evidence_id=evidence_id,
    )


def attribution_columns(found: Evidence) -> dict[str, Any]:
    """The evidence columns that say who holds its stance and what else it reports."""
    reported = [
        {"stance": r.stance.value, "holder": r.holder, "quote": r.quote} for r in found.reported
    ]
    return {"holder": found.holder or None, "reported": reported or None, "related": found.related}


def to_reported(data: list[dict[str, str]] | None) -> tuple[ReportedStance, ...]:
    return tuple(
        ReportedStance(Stance(r["stance"]), str(r.get("holder", "")), str(r.get("quote", "")))
        for r in data or ()
    )


def to_alert(
    alert: AlertRow,
    evidence: EvidenceRow,
    claim: ClaimRow,
    watchlist: WatchlistRow,
    item: ItemRow,
    source: SourceRow,
) -> Alert:
    return Alert(
        id=alert.id,
        watchlist_key=watchlist.key,
        watchlist_name=watchlist.name,
        channel=alert.channel,
        claim_key=claim.key,
        claim_text=claim.text,
        item_url=item.url,
        item_title=item.title,
        source_name=source.name,
        published_at=item.published_at,
        quote=evidence.quote,
        score=evidence.score,
        stance=Stance(evidence.stance),
        stance_confidence=evidence.stance_confidence,
        created_at=alert.created_at,
        status=AlertStatus(alert.status),
        attempts=alert.attempts,
        last_error=alert.last_error,
        claim_id=claim.id,
        source_id=source.id,
        story_id=item.story_id,
        timezone=watchlist.timezone,
        policy=to_policy(watchlist.alert_policy),
        slack_ts=alert.slack_ts,
        thread_ts=alert.thread_ts,
        next_attempt_at=alert.next_attempt_at,
        holder=evidence.holder or "",
        reported=to_reported(evidence.reported),
        evidence_id=evidence.id,
        corrected_by=evidence.corrected_by or "",
        model_stance=Stance(evidence.model_stance) if evidence.model_stance else None,
    )


def to_user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=Role(row.role), active=row.active)


def to_watchlist(row: WatchlistRow, sources: list[SourceRow], claims: list[ClaimSpec]) -> Watchlist:
    return Watchlist(
        key=row.key,
        name=row.name,
        slack_channel=row.slack_channel,
        description=row.description,
        timezone=row.timezone,
        threshold=row.threshold,
        digest=to_digest_spec(row),
        alerts=to_policy(row.alert_policy),
        path=Path(row.path) if row.path else None,
        fingerprint=row.fingerprint or "",
        managed_in_git=bool(row.managed_in_git),
        sources=tuple(
            SourceSpec(
                name=s.name,
                url=s.url,
                kind=SourceKind(s.kind),
                poll_interval=timedelta(seconds=s.poll_interval_s),
                selector=s.selector,
                full_text=s.full_text,
                min_poll_interval=duration(s.min_interval_s),
                max_poll_interval=duration(s.max_interval_s),
            )
            for s in sources
        ),
        claims=tuple(claims),
    )


def to_digest_spec(row: WatchlistRow) -> DigestSpec:
    return DigestSpec(
        recipients=tuple(row.digest_recipients or ()),
        send_at=time.fromisoformat(row.digest_send_at),
        timezone=row.digest_timezone or row.timezone,
        stale_after_days=row.digest_stale_after_days or DigestSpec.stale_after_days,
    )


def to_digest(row: DigestRow, key: str) -> DigestRecord:
    return DigestRecord(
        id=row.id,
        watchlist_key=key,
        period=row.period,
        status=DigestStatus(row.status),
        message_id=row.message_id,
        since=row.since,
        until=row.until,
        recipients=tuple(row.recipients or ()),
        created_at=row.created_at,
        refused=tuple(sorted((row.refused or {}).items())),
        attempts=row.attempts or 0,
        last_error=row.last_error,
        sent_at=row.sent_at,
        next_attempt_at=row.next_attempt_at,
    )


def utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def duration(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def seconds(duration: timedelta | None) -> int | None:
    return None if duration is None else int(duration.total_seconds())


def feedback_label(kind: str, user: str) -> str:
    """How an editor's feedback on an alert is shown: ``not_relevant by ana``."""
    return f"{kind} by {user}"
