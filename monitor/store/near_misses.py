"""Near misses: candidates just under their claim's bar, kept for editors to confirm (then they
are evidence) or dismiss. The relevance decision says what a near miss is
(:meth:`monitor.judge.relevance.Relevance.near_miss`); storage keeps them and their review."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, storage_errors
from monitor.store.mapping import (
    evidence_row,
    near_miss_row,
    to_near_miss,
    to_near_miss_record,
)
from monitor.store.tables import ClaimRow, EvidenceRow, ItemRow, NearMissRow, SourceRow
from monitor.types import NearMiss, NearMissRecord, Review


def add_near_misses(session: Session, near_misses: Sequence[NearMiss], now: datetime) -> None:
    """Keep ``near_misses`` (in the caller's transaction); a pair already kept, or already
    evidence, is left alone."""
    for found in near_misses:
        pair = (found.evidence.claim_id, found.evidence.item_id)
        if not _kept(session, NearMissRow, *pair) and not _kept(session, EvidenceRow, *pair):
            session.add(near_miss_row(found, now))


def _kept(
    session: Session, table: type[NearMissRow] | type[EvidenceRow], claim_id: int, item_id: int
) -> bool:
    query = select(table.id).where(table.claim_id == claim_id, table.item_id == item_id)
    return session.scalar(query) is not None


@storage_errors
class NearMissesMixin(StorageBase):
    """Near misses and editors' reviews of them."""

    def near_misses(
        self,
        claim_id: int | None = None,
        *,
        open_only: bool = True,
        limit: int = 100,
        offset: int = 0,
        ids: Sequence[int] | None = None,
    ) -> list[NearMissRecord]:
        """Kept near misses, most relevant first (``open_only``: those nobody reviewed yet),
        with their items and outlets."""
        query = (
            select(NearMissRow, ClaimRow.key, ItemRow, SourceRow.name)
            .join(ClaimRow, ClaimRow.id == NearMissRow.claim_id)
            .join(ItemRow, ItemRow.id == NearMissRow.item_id)
            .join(SourceRow, SourceRow.id == ItemRow.source_id)
            .order_by(NearMissRow.relevance.desc(), NearMissRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if claim_id is not None:
            query = query.where(NearMissRow.claim_id == claim_id)
        if open_only:
            query = query.where(NearMissRow.review.is_(None))
        if ids is not None:
            query = query.where(NearMissRow.id.in_(ids))
        with self._sessions() as session:
            return [
                to_near_miss_record(row, key, item, source)
                for row, key, item, source in session.execute(query)
            ]

    def open_near_miss_counts(self, since: datetime | None = None) -> dict[int, int]:
        """Per claim, how many near misses (kept since ``since``) nobody has reviewed."""
        query = (
            select(NearMissRow.claim_id, func.count())
            .where(NearMissRow.review.is_(None))
            .group_by(NearMissRow.claim_id)
        )
        if since is not None:
            query = query.where(NearMissRow.created_at >= since)
        with self._sessions() as session:
            return {claim_id: int(count) for claim_id, count in session.execute(query)}

    def review_near_miss(
        self,
        near_miss_id: int,
        review: Review,
        editor: str,
        now: datetime,
        *,
        adjust: Callable[[float], float] | None = None,
    ) -> NearMissRecord:
        """An editor's review of a near miss. Accepted, it is recorded as evidence (without an
        alert: the editor has seen it) and the claim's threshold adjustment becomes what
        ``adjust`` makes of it (:func:`monitor.alerting.moved_adjustment`). The first review
        stands: a near miss reviewed already is returned as it is."""
        with self._transaction() as session:
            row = session.get(NearMissRow, near_miss_id)
            if row is None:
                raise NotFoundError(f"near miss {near_miss_id} not found")
            if row.review is None:
                row.review, row.reviewed_by, row.reviewed_at = review.value, editor, now
                if review is Review.ACCEPTED:
                    self._accept(session, row, now, adjust)
        return self.near_misses(ids=[near_miss_id], open_only=False, limit=1)[0]

    @staticmethod
    def _accept(
        session: Session,
        row: NearMissRow,
        now: datetime,
        adjust: Callable[[float], float] | None,
    ) -> None:
        if not _kept(session, EvidenceRow, row.claim_id, row.item_id):
            session.add(evidence_row(to_near_miss(row).evidence, now))
        claim = session.get(ClaimRow, row.claim_id)
        if claim is not None and adjust is not None:
            claim.feedback_adjustment = adjust(claim.feedback_adjustment or 0.0)
