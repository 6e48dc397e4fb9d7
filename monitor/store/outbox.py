"""The outbox: alerts waiting, taken, sent or given up; Slack threads; mutes; editors' feedback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, storage_errors
from monitor.store.mapping import feedback_label, to_alert
from monitor.store.tables import (
    AlertRow,
    ClaimRow,
    EvidenceRow,
    FeedbackRow,
    ItemRow,
    MuteRow,
    SlackThreadRow,
    SourceRow,
    WatchlistRow,
)
from monitor.types import Alert, AlertStatus, FeedbackKind, Mute, MuteTarget


@storage_errors
class OutboxMixin(StorageBase):
    """Alerts to deliver and what editors said about them."""

    def alerts(
        self, status: AlertStatus | None = None, limit: int = 100, *, newest_first: bool = False
    ) -> list[Alert]:
        """Alerts in the outbox, oldest (or newest) first; only those in ``status`` if given."""
        order = AlertRow.id.desc() if newest_first else AlertRow.id
        query = alert_query().order_by(order).limit(limit)
        if status is not None:
            query = query.where(AlertRow.status == status.value)
        with self._sessions() as session:
            return [
                replace(to_alert(*row), outlets=outlets(session, row[4]))
                for row in session.execute(query)
            ]

    def due_alerts(self, now: datetime, limit: int = 500) -> list[Alert]:
        """Pending alerts whose retry time has come, oldest first."""
        query = (
            alert_query()
            .where(AlertRow.status == AlertStatus.PENDING.value)
            .where(or_(AlertRow.next_attempt_at.is_(None), AlertRow.next_attempt_at <= now))
            .order_by(AlertRow.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                replace(to_alert(*row), outlets=outlets(session, row[4]))
                for row in session.execute(query)
            ]

    def stale_sending(self, claimed_before: datetime) -> list[Alert]:
        """Alerts a sender took before ``claimed_before`` and never settled (it died)."""
        query = (
            alert_query()
            .where(AlertRow.status == AlertStatus.SENDING.value)
            .where(AlertRow.claimed_at < claimed_before)
            .order_by(AlertRow.id)
        )
        with self._sessions() as session:
            return [to_alert(*row) for row in session.execute(query)]

    def lease_alerts(
        self, alert_ids: Sequence[int], now: datetime, thread_ts: str | None = None
    ) -> set[int]:
        """Take pending alerts for sending (into the thread ``thread_ts``, if given); returns
        those taken: another sender may hold some."""
        if not alert_ids:
            return set()
        with self._transaction() as session:
            taken = session.scalars(
                update(AlertRow)
                .where(AlertRow.id.in_(alert_ids), AlertRow.status == AlertStatus.PENDING.value)
                .values(status=AlertStatus.SENDING.value, claimed_at=now, thread_ts=thread_ts)
                .returning(AlertRow.id)
            )
            return set(taken)

    def mark_alert_sent(
        self,
        alert_id: int,
        slack_ts: str | None,
        now: datetime,
        *,
        thread_ts: str | None = None,
        batched: bool = False,
    ) -> None:
        """Delivered: alone (``slack_ts`` is its message) or inside a summary message."""
        status = AlertStatus.BATCHED if batched else AlertStatus.SENT
        self._set_alert(
            alert_id,
            status=status.value,
            slack_ts=slack_ts,
            thread_ts=thread_ts,
            sent_at=now,
            attempts=AlertRow.attempts + 1,
            last_error=None,
            next_attempt_at=None,
        )

    def mark_alert_failed(
        self,
        alert_id: int,
        error: str,
        *,
        permanent: bool,
        retry_at: datetime | None = None,
        attempted: bool = True,
    ) -> None:
        """Not delivered: given up (``permanent``) or back to pending until ``retry_at``."""
        status = AlertStatus.FAILED if permanent else AlertStatus.PENDING
        self._set_alert(
            alert_id,
            status=status.value,
            last_error=error,
            attempts=AlertRow.attempts + (1 if attempted else 0),
            next_attempt_at=retry_at,
            claimed_at=None,
        )

    def _set_alert(self, alert_id: int, **values: object) -> None:
        """Write ``values`` onto one alert's row, in a transaction of its own."""
        with self._transaction() as session:
            session.execute(update(AlertRow).where(AlertRow.id == alert_id).values(**values))

    def hold_alerts(self, alert_ids: Sequence[int], reason: str, until: datetime) -> None:
        """Pending alerts wait until ``until``, ``reason`` their error (those another sender
        took are left alone)."""
        with self._transaction() as session:
            session.execute(
                update(AlertRow)
                .where(AlertRow.id.in_(alert_ids), AlertRow.status == AlertStatus.PENDING.value)
                .values(last_error=reason, next_attempt_at=until)
            )

    def resend_alerts(self, alert_ids: Sequence[int] | None = None) -> list[int]:
        """Failed alerts (those of ``alert_ids``, else every one) back to pending, due at once;
        returns the ids that were failed."""
        query = update(AlertRow).where(AlertRow.status == AlertStatus.FAILED.value)
        if alert_ids is not None:
            query = query.where(AlertRow.id.in_(alert_ids))
        values = {"status": AlertStatus.PENDING.value, "attempts": 0, "next_attempt_at": None}
        with self._transaction() as session:
            resent = session.scalars(
                query.values(**values, claimed_at=None, last_error=None).returning(AlertRow.id)
            )
            return sorted(resent)

    def mark_alerts_muted(self, alert_ids: Sequence[int], reason: str) -> None:
        with self._transaction() as session:
            session.execute(
                update(AlertRow)
                .where(AlertRow.id.in_(alert_ids))
                .values(status=AlertStatus.MUTED.value, last_error=reason, claimed_at=None)
            )

    def messages_sent_since(self, since: datetime) -> tuple[Counter[str], Counter[tuple[str, int]]]:
        """Slack messages posted since ``since``: per channel, and per (channel, claim id)."""
        query = (
            select(AlertRow.channel, EvidenceRow.claim_id, AlertRow.slack_ts, AlertRow.status)
            .join(EvidenceRow, EvidenceRow.id == AlertRow.evidence_id)
            .where(AlertRow.sent_at >= since)
            .where(AlertRow.status.in_([AlertStatus.SENT.value, AlertStatus.BATCHED.value]))
        )
        messages: dict[str, set[str | None]] = {}
        per_claim: Counter[tuple[str, int]] = Counter()
        with self._sessions() as session:
            for channel, claim_id, ts, status in session.execute(query):
                messages.setdefault(channel, set()).add(ts)
                if status == AlertStatus.SENT.value:
                    per_claim[(channel, claim_id)] += 1
        return Counter({c: len(ts) for c, ts in messages.items()}), per_claim

    def thread(self, channel: str, claim_id: int, day: str) -> str | None:
        """The ``ts`` of the claim's thread in ``channel`` on ``day``, if one was started."""
        query = select(SlackThreadRow.ts).where(
            SlackThreadRow.channel == channel,
            SlackThreadRow.claim_id == claim_id,
            SlackThreadRow.day == day,
        )
        with self._sessions() as session:
            return session.scalar(query)

    def record_thread(self, channel: str, claim_id: int, day: str, ts: str, now: datetime) -> None:
        with self._transaction() as session:
            session.add(
                SlackThreadRow(channel=channel, claim_id=claim_id, day=day, ts=ts, created_at=now)
            )

    def add_mute(self, mute: Mute, created_by: str, now: datetime) -> None:
        with self._transaction() as session:
            session.add(
                MuteRow(
                    target=mute.target.value,
                    target_id=mute.target_id,
                    until=mute.until,
                    reason=mute.reason,
                    created_by=created_by,
                    created_at=now,
                )
            )

    def active_mutes(self, now: datetime) -> list[Mute]:
        query = select(MuteRow).where(MuteRow.until > now).order_by(MuteRow.id)
        with self._sessions() as session:
            return [
                Mute(MuteTarget(r.target), r.target_id, r.until, r.reason)
                for r in session.scalars(query)
            ]

    def record_feedback(
        self,
        alert_id: int,
        kind: FeedbackKind,
        user: str,
        now: datetime,
        *,
        adjust: Callable[[float], float] | None = None,
    ) -> Alert:
        """Store an editor's feedback and set the claim's threshold adjustment to what
        ``adjust`` makes of it (:func:`monitor.alerting.moved_adjustment`); returns the
        alert with every feedback it has had."""
        with self._transaction() as session:
            row = session.execute(alert_query().where(AlertRow.id == alert_id)).first()
            if row is None:
                raise NotFoundError(f"alert {alert_id} not found")
            claim = row[2]
            session.add(
                FeedbackRow(
                    alert_id=alert_id,
                    claim_id=claim.id,
                    kind=kind.value,
                    user_name=user,
                    created_at=now,
                )
            )
            if adjust is not None:
                claim.feedback_adjustment = adjust(claim.feedback_adjustment or 0.0)
            session.flush()
            said = session.scalars(
                select(FeedbackRow).where(FeedbackRow.alert_id == alert_id).order_by(FeedbackRow.id)
            )
            feedback = tuple(feedback_label(f.kind, f.user_name) for f in said)
            return replace(to_alert(*row), feedback=feedback)

    def not_relevant_quotes(self, claim_ids: Iterable[int]) -> dict[int, list[str]]:
        """Per claim, the quotes of alerts editors marked not relevant."""
        query = (
            select(FeedbackRow.claim_id, EvidenceRow.quote)
            .join(AlertRow, AlertRow.id == FeedbackRow.alert_id)
            .join(EvidenceRow, EvidenceRow.id == AlertRow.evidence_id)
            .where(FeedbackRow.claim_id.in_(set(claim_ids)))
            .where(FeedbackRow.kind == FeedbackKind.NOT_RELEVANT.value)
            .distinct()
        )
        quotes: dict[int, list[str]] = {}
        with self._sessions() as session:
            for claim_id, quote in session.execute(query):
                quotes.setdefault(claim_id, []).append(quote)
        return quotes


def alert_query() -> Select[AlertRow, EvidenceRow, ClaimRow, WatchlistRow, ItemRow, SourceRow]:
    return (
        select(AlertRow, EvidenceRow, ClaimRow, WatchlistRow, ItemRow, SourceRow)
        .join(EvidenceRow, EvidenceRow.id == AlertRow.evidence_id)
        .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
        .join(WatchlistRow, WatchlistRow.id == AlertRow.watchlist_id)
        .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
    )


def outlets(session: Session, item: ItemRow) -> tuple[str, ...]:
    """Names of the sources that carried ``item``'s story, in the order they carried it."""
    if item.story_id is None:
        return ()
    query = (
        select(SourceRow.name)
        .join(ItemRow, ItemRow.source_id == SourceRow.id)
        .where(ItemRow.story_id == item.story_id)
        .order_by(ItemRow.id)
    )
    return tuple(dict.fromkeys(session.scalars(query)))
