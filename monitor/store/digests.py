"""Daily digests: who gets one, what goes in it, and each period sent once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, storage_errors
from monitor.store.mapping import to_digest, to_digest_spec, to_evidence_record, to_source, utc
from monitor.store.tables import (
    ClaimRow,
    DigestRow,
    EvidenceRow,
    ItemRow,
    SourceRow,
    WatchlistRow,
    WatchlistSourceRow,
)
from monitor.types import DigestRecord, DigestStatus, DigestSubscription, EvidenceRecord, Source


@storage_errors
class DigestsMixin(StorageBase):
    """Daily digests."""

    def digest_subscriptions(self, key: str | None = None) -> list[DigestSubscription]:
        """Active watchlists with digest recipients; ``key`` alone (recipients or not) when
        given."""
        query = select(WatchlistRow).where(WatchlistRow.active.is_(True)).order_by(WatchlistRow.key)
        if key is not None:
            query = query.where(WatchlistRow.key == key)
        with self._sessions() as session:
            rows = list(session.scalars(query))
        return [
            DigestSubscription(row.key, row.name, to_digest_spec(row))
            for row in rows
            if key is not None or row.digest_recipients
        ]

    def digest_sources(self, key: str) -> list[Source]:
        """Every source the watchlist reads, disabled ones included."""
        query = (
            select(SourceRow)
            .join(WatchlistSourceRow, WatchlistSourceRow.source_id == SourceRow.id)
            .join(WatchlistRow, WatchlistRow.id == WatchlistSourceRow.watchlist_id)
            .where(WatchlistRow.key == key)
            .order_by(SourceRow.name)
        )
        with self._sessions() as session:
            return [to_source(row) for row in session.scalars(query)]

    def digest_evidence(self, key: str, since: datetime, until: datetime) -> list[EvidenceRecord]:
        """Evidence for the watchlist's active claims stored in [``since``, ``until``)."""
        query = (
            select(EvidenceRow, ClaimRow.key, ItemRow, SourceRow.name)
            .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
            .join(WatchlistRow, WatchlistRow.id == ClaimRow.watchlist_id)
            .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
            .join(SourceRow, SourceRow.id == ItemRow.source_id)
            .where(WatchlistRow.key == key, ClaimRow.active.is_(True))
            .where(EvidenceRow.created_at >= since, EvidenceRow.created_at < until)
            .order_by(EvidenceRow.id)
        )
        with self._sessions() as session:
            return [
                to_evidence_record(row, claim_key, item, source_name)
                for row, claim_key, item, source_name in session.execute(query)
            ]

    def last_evidence_at(self, key: str, before: datetime) -> dict[int, datetime]:
        """Per active claim of the watchlist, when its newest evidence before ``before`` was
        stored (claims without any are left out)."""
        query = (
            select(EvidenceRow.claim_id, func.max(EvidenceRow.created_at))
            .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
            .join(WatchlistRow, WatchlistRow.id == ClaimRow.watchlist_id)
            .where(WatchlistRow.key == key, EvidenceRow.created_at < before)
            .group_by(EvidenceRow.claim_id)
        )
        with self._sessions() as session:
            found = session.execute(query).all()
        # max() comes back without the column type on SQLite: naive UTC text or datetime.
        return {claim_id: utc(at) for claim_id, at in found if at is not None}

    def last_digest_until(self, key: str) -> datetime | None:
        """Where the watchlist's newest digest (sent, or still being sent) ends."""
        query = (
            select(func.max(DigestRow.until))
            .join(WatchlistRow, WatchlistRow.id == DigestRow.watchlist_id)
            .where(WatchlistRow.key == key, DigestRow.status != DigestStatus.FAILED.value)
        )
        with self._sessions() as session:
            found = session.scalar(query)
        return utc(found) if found is not None else None

    def lease_digest(
        self, key: str, draft: DigestRecord, now: datetime, stale_before: datetime
    ) -> DigestRecord | None:
        """Take the watchlist's digest for ``draft.period`` for sending; None if it is not to
        be sent now.

        A new period is inserted from ``draft`` (unique per watchlist and period: of several
        senders one wins). An existing one is taken only when it waits for a retry that is due,
        or when its sender died (claimed before ``stale_before``); it keeps its window,
        recipients and Message-ID, so the mail is the same one.
        """
        try:
            with self._transaction() as session:
                watchlist = session.scalar(select(WatchlistRow).where(WatchlistRow.key == key))
                if watchlist is None:
                    raise NotFoundError(f"watchlist {key!r} not found")
                query = select(DigestRow).where(
                    DigestRow.watchlist_id == watchlist.id, DigestRow.period == draft.period
                )
                row = session.scalar(query.with_for_update())
                if row is None:
                    row = _new_digest_row(watchlist.id, draft, now)
                    session.add(row)
                elif not _digest_takeable(row, now, stale_before):
                    return None
                row.status = DigestStatus.SENDING.value
                row.claimed_at = now
                session.flush()
                return to_digest(row, key)
        except IntegrityError:  # another sender inserted the period first
            return None

    def settle_digest(
        self,
        digest_id: int,
        status: DigestStatus,
        now: datetime,
        *,
        refused: dict[str, str] | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record how sending went: sent (with the recipients refused), retrying, or failed."""
        with self._transaction() as session:
            row = session.get(DigestRow, digest_id)
            if row is None:
                raise NotFoundError(f"digest {digest_id} not found")
            row.status = status.value
            row.attempts = (row.attempts or 0) + 1
            row.refused = dict(refused) if refused else None
            row.last_error = error
            row.next_attempt_at = retry_at
            row.claimed_at = None
            row.sent_at = now if status is DigestStatus.SENT else None

    def unsettled_digests(self, now: datetime, stale_before: datetime) -> list[DigestRecord]:
        """Digests waiting for a retry that is due, and those whose sender died."""
        query = (
            select(DigestRow, WatchlistRow.key)
            .join(WatchlistRow, WatchlistRow.id == DigestRow.watchlist_id)
            .where(
                or_(
                    and_(
                        DigestRow.status == DigestStatus.RETRYING.value,
                        or_(DigestRow.next_attempt_at.is_(None), DigestRow.next_attempt_at <= now),
                    ),
                    and_(
                        DigestRow.status == DigestStatus.SENDING.value,
                        DigestRow.claimed_at < stale_before,
                    ),
                )
            )
            .order_by(DigestRow.id)
        )
        with self._sessions() as session:
            return [to_digest(row, key) for row, key in session.execute(query)]

    def digests(self, key: str | None = None, limit: int = 20) -> list[DigestRecord]:
        """Digests, newest first; only the watchlist ``key``'s when given."""
        query = (
            select(DigestRow, WatchlistRow.key)
            .join(WatchlistRow, WatchlistRow.id == DigestRow.watchlist_id)
            .order_by(DigestRow.id.desc())
            .limit(limit)
        )
        if key is not None:
            query = query.where(WatchlistRow.key == key)
        with self._sessions() as session:
            return [to_digest(row, k) for row, k in session.execute(query)]


def _new_digest_row(watchlist_id: int, draft: DigestRecord, now: datetime) -> DigestRow:
    return DigestRow(
        watchlist_id=watchlist_id,
        period=draft.period,
        status=DigestStatus.SENDING.value,
        message_id=draft.message_id,
        since=draft.since,
        until=draft.until,
        recipients=list(draft.recipients),
        attempts=0,
        created_at=now,
    )


def _digest_takeable(row: DigestRow, now: datetime, stale_before: datetime) -> bool:
    """A retry that is due, or a claim whose sender died."""
    if row.status == DigestStatus.RETRYING.value:
        return row.next_attempt_at is None or row.next_attempt_at <= now
    if row.status == DigestStatus.SENDING.value:
        return row.claimed_at is None or row.claimed_at < stale_before
    return False
