"""Evidence: a judgement stored with the alerts it causes (one transaction), the archive's finds,
and what the pages and dashboard read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from monitor.alerting import decide_alert
from monitor.errors import NotFoundError
from monitor.store.base import ANCHOR_CHUNK, StorageBase, storage_errors
from monitor.store.mapping import (
    evidence_row,
    feedback_label,
    to_correction,
    to_evidence,
    to_evidence_record,
    to_policy,
)
from monitor.store.near_misses import add_near_misses, stored
from monitor.store.tables import (
    AlertRow,
    ClaimRow,
    EvidenceRow,
    FeedbackRow,
    ItemRow,
    SourceRow,
    WatchlistRow,
)
from monitor.types import (
    AlertStatus,
    Evidence,
    EvidenceRecord,
    NearMiss,
    Stance,
    StanceCorrection,
)


@storage_errors
class EvidenceMixin(StorageBase):
    """Evidence and the alerts it queues."""

    def record_judgement(
        self,
        item_ids: Sequence[int],
        evidence: Sequence[Evidence],
        now: datetime,
        *,
        near_misses: Sequence[NearMiss] = (),
    ) -> int:
        """Store new evidence, queue one alert per evidence, keep the near misses for review,
        mark the items judged.

        One transaction: either all of it lands or none. Returns the number of alerts queued.
        """
        queued = 0
        with self._transaction() as session:
            for found in evidence:
                if stored(session, EvidenceRow, found.claim_id, found.item_id):
                    continue
                row = evidence_row(found, now)
                session.add(row)
                session.flush()
                if found.alert:  # where it alerts is decided in monitor.alerting
                    queued += _queue_alerts(session, found, row, now)
            add_near_misses(session, near_misses, now)
            if item_ids:
                session.execute(
                    update(ItemRow)
                    .where(ItemRow.id.in_(item_ids), ItemRow.judged_at.is_(None))
                    .values(judged_at=now)
                )
        return queued

    def backfill_evidence(self, evidence: Sequence[Evidence], now: datetime) -> int:
        """Record evidence found in the archive, without alerts (it is old news); evidence
        already stored is left alone. Returns how many were recorded."""
        recorded = 0
        with self._transaction() as session:
            for found in evidence:
                if stored(session, EvidenceRow, found.claim_id, found.item_id):
                    continue
                session.add(evidence_row(found, now))
                recorded += 1
        return recorded

    def evidence_for_claim(self, claim_id: int) -> list[Evidence]:
        query = select(EvidenceRow).where(EvidenceRow.claim_id == claim_id).order_by(EvidenceRow.id)
        with self._sessions() as session:
            return [to_evidence(row) for row in session.scalars(query)]

    def evidence_records(
        self,
        claim_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        ids: Sequence[int] | None = None,
    ) -> list[EvidenceRecord]:
        """Stored evidence, newest first, with its item, outlet and feedback."""
        query = (
            select(EvidenceRow, ClaimRow.key, ItemRow, SourceRow.name)
            .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
            .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
            .join(SourceRow, SourceRow.id == ItemRow.source_id)
            .order_by(EvidenceRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if claim_id is not None:
            query = query.where(EvidenceRow.claim_id == claim_id)
        if ids is not None:
            query = query.where(EvidenceRow.id.in_(ids))
        with self._sessions() as session:
            rows = list(session.execute(query))
            ids = [row[0].id for row in rows]
            alerted = set(
                session.scalars(select(AlertRow.evidence_id).where(AlertRow.evidence_id.in_(ids)))
            )
            feedback: dict[int, list[str]] = {}
            said = (
                select(AlertRow.evidence_id, FeedbackRow.kind, FeedbackRow.user_name)
                .join(AlertRow, AlertRow.id == FeedbackRow.alert_id)
                .where(AlertRow.evidence_id.in_(ids))
                .order_by(FeedbackRow.id)
            )
            for evidence_id, kind, user in session.execute(said):
                feedback.setdefault(evidence_id, []).append(feedback_label(kind, user))
        return [
            to_evidence_record(
                row,
                key,
                item,
                source_name,
                alerted=row.id in alerted,
                feedback=tuple(feedback.get(row.id, ())),
            )
            for row, key, item, source_name in rows
        ]

    def latest_evidence(self) -> dict[int, EvidenceRecord]:
        """Each claim's newest evidence."""
        newest = select(func.max(EvidenceRow.id)).group_by(EvidenceRow.claim_id)
        with self._sessions() as session:
            ids = list(session.scalars(newest))
        found: dict[int, EvidenceRecord] = {}
        for start in range(0, len(ids), ANCHOR_CHUNK):
            chunk = ids[start : start + ANCHOR_CHUNK]
            for record in self.evidence_records(ids=chunk, limit=len(chunk)):
                found[record.evidence.claim_id] = record
        return found

    def correct_stance(
        self, evidence_id: int, stance: Stance, editor: str, now: datetime
    ) -> EvidenceRecord:
        """An editor sets the stance of stored evidence. What the model read is kept beside it
        (the first reading, however often editors change their minds); setting the model's own
        stance again clears the correction."""
        with self._transaction() as session:
            row = session.get(EvidenceRow, evidence_id)
            if row is None:
                raise NotFoundError(f"evidence {evidence_id} not found")
            set_stance(row, stance, editor, now)
        return self.evidence_records(ids=[evidence_id], limit=1)[0]

    def stance_corrections(self, since: datetime | None = None) -> list[StanceCorrection]:
        """Editors' corrections (made since ``since``), oldest first, with their items."""
        query = (
            select(EvidenceRow, ClaimRow.key, ClaimRow.text, ItemRow)
            .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
            .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
            .where(EvidenceRow.model_stance.is_not(None))
            .order_by(EvidenceRow.corrected_at, EvidenceRow.id)
        )
        if since is not None:
            query = query.where(EvidenceRow.corrected_at >= since)
        with self._sessions() as session:
            return [
                to_correction(row, key, text, item)
                for row, key, text, item in session.execute(query)
            ]

    def alerted_evidence_count(self, since: datetime | None = None) -> int:
        """How many pieces of evidence raised an alert (created since ``since``)."""
        query = select(func.count(func.distinct(AlertRow.evidence_id))).join(
            EvidenceRow, EvidenceRow.id == AlertRow.evidence_id
        )
        if since is not None:
            query = query.where(EvidenceRow.created_at >= since)
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def stance_counts(self, since: datetime) -> dict[int, list[tuple[datetime, Stance]]]:
        """Per claim, (when, stance) of its evidence whose item appeared since ``since``
        (published, else fetched): what the dashboard charts."""
        query = (
            select(
                EvidenceRow.claim_id, EvidenceRow.stance, ItemRow.published_at, ItemRow.fetched_at
            )
            .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
            .where(or_(ItemRow.published_at >= since, ItemRow.fetched_at >= since))
        )
        found: dict[int, list[tuple[datetime, Stance]]] = {}
        with self._sessions() as session:
            for claim_id, stance, published, fetched in session.execute(query):
                found.setdefault(claim_id, []).append((published or fetched, Stance(stance)))
        return found


def set_stance(row: EvidenceRow, stance: Stance, editor: str, now: datetime) -> None:
    """Record an editor's stance on ``row``, keeping the model's first reading beside it."""
    model = row.model_stance or row.stance
    if stance.value == model:
        row.model_stance = row.corrected_by = row.corrected_at = None
    else:
        row.model_stance, row.corrected_by, row.corrected_at = model, editor, now
    row.stance = stance.value


def _story_already_has(session: Session, evidence: EvidenceRow) -> bool:
    """Whether another item of the same story already gave this claim evidence of this stance."""
    item = session.get(ItemRow, evidence.item_id)
    if item is None or item.story_id is None:
        return False
    query = (
        select(EvidenceRow.id)
        .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
        .where(ItemRow.story_id == item.story_id, ItemRow.id != item.id)
        .where(EvidenceRow.claim_id == evidence.claim_id, EvidenceRow.stance == evidence.stance)
        .limit(1)
    )
    return session.scalar(query) is not None


def _queue_alerts(session: Session, found: Evidence, row: EvidenceRow, now: datetime) -> int:
    """Queue the alerts the decider gives ``found`` (stored as ``row``): one per channel."""
    claim = session.get(ClaimRow, row.claim_id)
    assert claim is not None
    watchlist = session.get(WatchlistRow, claim.watchlist_id)
    assert watchlist is not None
    decision = decide_alert(
        found,
        story_has_it=_story_already_has(session, row),
        channel=watchlist.slack_channel,
        policy=to_policy(watchlist.alert_policy),
    )
    session.add_all(
        AlertRow(
            evidence_id=row.id,
            watchlist_id=watchlist.id,
            channel=channel,
            status=AlertStatus.PENDING.value,
            attempts=0,
            created_at=now,
        )
        for channel in decision.channels
    )
    return len(decision.channels)
