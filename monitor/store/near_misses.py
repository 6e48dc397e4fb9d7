"""Near misses: candidates just under their claim's bar, kept for editors to confirm (then they
are evidence) or dismiss. The relevance decision says what a near miss is
(:meth:`monitor.judge.relevance.Relevance.near_miss`); storage keeps them and their review.

A near miss waits while nobody has reviewed it and its pair is not evidence by another way (a
backfill found it). Rewording a claim, or removing it from its watchlist, drops the near misses
nobody has reviewed: they were judged against a claim that no longer reads so. Those nobody
reviews in time are forgotten (:meth:`NearMissesMixin.expire_near_misses`, asked by the
scheduler's hourly job with the cut-off :func:`monitor.alerting.near_miss_expiry` gives).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, rows_changed, storage_errors
from monitor.store.mapping import evidence_row, near_miss_row, to_near_miss, to_near_miss_record
from monitor.store.tables import ClaimRow, EvidenceRow, ItemRow, NearMissRow, SourceRow
from monitor.types import NearMiss, NearMissRecord, Review


def _same_pair(evidence: type[EvidenceRow]) -> ColumnElement[bool]:
    """An evidence row (the table, or an alias of it) of the near miss's own pair."""
    return (evidence.claim_id == NearMissRow.claim_id) & (evidence.item_id == NearMissRow.item_id)


# Nobody has reviewed it and its pair is not evidence yet (asked of an alias, so that a query
# that also joins the evidence table keeps its own).
_BECAME = aliased(EvidenceRow)
WAITING: ColumnElement[bool] = NearMissRow.review.is_(None) & ~exists().where(_same_pair(_BECAME))


def stored(
    session: Session, table: type[NearMissRow] | type[EvidenceRow], claim_id: int, item_id: int
) -> bool:
    """Whether ``table`` holds a row for the pair (claim, item)."""
    query = select(table.id).where(table.claim_id == claim_id, table.item_id == item_id)
    return session.scalar(query) is not None


def add_near_misses(session: Session, near_misses: Sequence[NearMiss], now: datetime) -> None:
    """Keep ``near_misses`` (in the caller's transaction); a pair already kept, or already
    evidence, is left alone."""
    items = {found.evidence.item_id for found in near_misses}
    if not items:
        return
    taken = {
        (claim_id, item_id)
        for table in (NearMissRow, EvidenceRow)
        for claim_id, item_id in session.execute(
            select(table.claim_id, table.item_id).where(table.item_id.in_(items))
        )
    }
    for found in near_misses:
        pair = (found.evidence.claim_id, found.evidence.item_id)
        if pair not in taken:
            session.add(near_miss_row(found, now))
            taken.add(pair)


def drop_waiting(session: Session, claim_id: int) -> None:
    """Forget the claim's near misses nobody has reviewed (reviewed ones stay, as history)."""
    session.execute(
        delete(NearMissRow).where(NearMissRow.claim_id == claim_id, NearMissRow.review.is_(None))
    )


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
        """Kept near misses, most relevant first, with their items, outlets and (accepted) the
        evidence they became: those waiting for a review (``open_only``), or also the reviewed
        ones."""
        query = (
            select(NearMissRow, ClaimRow.key, ItemRow, SourceRow.name, EvidenceRow.id)
            .join(ClaimRow, ClaimRow.id == NearMissRow.claim_id)
            .join(ItemRow, ItemRow.id == NearMissRow.item_id)
            .join(SourceRow, SourceRow.id == ItemRow.source_id)
            .outerjoin(EvidenceRow, _same_pair(EvidenceRow))
            .where(WAITING if open_only else or_(NearMissRow.review.is_not(None), WAITING))
            .order_by(NearMissRow.relevance.desc(), NearMissRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if claim_id is not None:
            query = query.where(NearMissRow.claim_id == claim_id)
        if ids is not None:
            query = query.where(NearMissRow.id.in_(ids))
        with self._sessions() as session:
            return [
                to_near_miss_record(row, key, item, source, evidence_id=evidence_id)
                for row, key, item, source, evidence_id in session.execute(query)
            ]

    def open_near_miss_counts(
        self, claim_ids: Collection[int] | None = None, *, before: datetime | None = None
    ) -> dict[int, int]:
        """Per claim (of ``claim_ids``, or every claim), how many near misses wait for a
        review (those kept before ``before``, when given: a digest counts as of its period's
        end)."""
        query = select(NearMissRow.claim_id, func.count()).where(WAITING)
        if claim_ids is not None:
            query = query.where(NearMissRow.claim_id.in_(claim_ids))
        if before is not None:
            query = query.where(NearMissRow.created_at < before)
        with self._sessions() as session:
            found = session.execute(query.group_by(NearMissRow.claim_id))
            return {claim_id: int(count) for claim_id, count in found}

    def expire_near_misses(self, before: datetime) -> int:
        """Forget the near misses nobody reviewed that were kept before ``before`` (reviewed
        ones stay, as history); how many."""
        with self._transaction() as session:
            gone = session.execute(
                delete(NearMissRow).where(
                    NearMissRow.review.is_(None), NearMissRow.created_at < before
                )
            )
            return rows_changed(gone)

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
        stands, however many editors press at once: a near miss reviewed already is returned
        as it is (its ``review`` says which)."""
        with self._transaction() as session:
            taken = session.execute(
                update(NearMissRow)
                .where(NearMissRow.id == near_miss_id, NearMissRow.review.is_(None))
                .values(review=review.value, reviewed_by=editor, reviewed_at=now)
            )
            if rows_changed(taken) == 1 and review is Review.ACCEPTED:
                row = session.get(NearMissRow, near_miss_id)
                assert row is not None
                _accept(session, row, now, adjust)
            elif session.get(NearMissRow, near_miss_id) is None:
                raise NotFoundError(f"near miss {near_miss_id} not found")
        return self.near_misses(ids=[near_miss_id], open_only=False, limit=1)[0]


def _accept(
    session: Session,
    row: NearMissRow,
    now: datetime,
    adjust: Callable[[float], float] | None,
) -> None:
    """The accepted near miss as evidence; the claim's bar moves only if it was not already."""
    if stored(session, EvidenceRow, row.claim_id, row.item_id):
        return  # a backfill made it evidence meanwhile: nothing was missed
    session.add(evidence_row(to_near_miss(row).evidence, now))
    claim = session.get(ClaimRow, row.claim_id, with_for_update=True)
    if claim is not None and adjust is not None:
        claim.feedback_adjustment = adjust(claim.feedback_adjustment or 0.0)
