"""Watchlists: files synced into the database, their claims, and the watchlists as stored."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session

from monitor.ownership import is_older_copy, refusal
from monitor.store.base import StorageBase, rows_changed, sha256_key, storage_errors
from monitor.store.mapping import policy_json, seconds, to_claim, to_watchlist
from monitor.store.near_misses import drop_waiting
from monitor.store.sources import re_enable
from monitor.store.tables import (
    AlertRow,
    ClaimRow,
    EvidenceRow,
    ItemRow,
    SourceRow,
    WatchlistRow,
    WatchlistSourceRow,
    WatchlistVersionRow,
)
from monitor.types import AlertStatus, Claim, ClaimSpec, SourceSpec, Watchlist

_SYNC_LOCK = 0x6D6F6E6974727379  # the advisory lock taken while syncing watchlists


@dataclass(frozen=True)
class SyncSummary:
    """What :meth:`WatchlistsMixin.sync_watchlists` changed."""

    watchlists: int
    claims: int
    sources: int
    # Why each watchlist not stored was refused (an older copy than the database holds).
    refused: tuple[str, ...] = ()


@storage_errors
class WatchlistsMixin(StorageBase):
    """Watchlists, their claims and the sources they read."""

    def sync_watchlists(
        self, watchlists: Iterable[Watchlist], now: datetime, origin: str = ""
    ) -> SyncSummary:
        """Insert or update watchlists, their claims and sources from their files; ``origin``
        says where the files come from (kept with each new version).

        Claims that left a file are deactivated, never deleted, so their evidence stays. A file
        the database stored once and has replaced since is not stored again: it is recorded
        on the watchlist as refused (:func:`monitor.ownership.is_older_copy`).
        """
        counts = [0, 0, 0]
        refused: list[str] = []
        with self._transaction() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Workers starting together sync the same files: one at a time, or two of
                # them would insert the same new watchlist.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK})
            for watchlist in watchlists:
                if (why := _older_copy(session, watchlist, origin, now)) is not None:
                    refused.append(why)
                    continue
                row, edited = _upsert_watchlist(session, watchlist, now)
                _record_version(session, row, watchlist.fingerprint, origin, now)
                counts[0] += 1
                counts[1] += _sync_claims(session, row.id, watchlist.claims, now)
                counts[2] += _sync_sources(session, row.id, watchlist, now, edited)
        return SyncSummary(counts[0], counts[1], counts[2], tuple(refused))

    def sync_refusals(self) -> dict[str, str]:
        """Per watchlist key, the last sync refused for carrying an older copy (until a newer
        version is stored)."""
        query = (
            select(WatchlistRow.key, WatchlistRow.sync_refused)
            .where(WatchlistRow.active.is_(True), WatchlistRow.sync_refused.is_not(None))
            .order_by(WatchlistRow.key)
        )
        with self._sessions() as session:
            return {key: why for key, why in session.execute(query) if why}

    def watchlist_keys(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(WatchlistRow.key).order_by(WatchlistRow.key)))

    def watchlist(self, key: str) -> Watchlist | None:
        """An active watchlist as stored (its sources and active claims), or None."""
        with self._sessions() as session:
            row = session.scalar(
                select(WatchlistRow).where(WatchlistRow.key == key, WatchlistRow.active.is_(True))
            )
            if row is None:
                return None
            sources = session.scalars(
                select(SourceRow)
                .join(WatchlistSourceRow, WatchlistSourceRow.source_id == SourceRow.id)
                .where(WatchlistSourceRow.watchlist_id == row.id)
                .order_by(SourceRow.id)
            )
            claims = session.scalars(
                select(ClaimRow)
                .where(ClaimRow.watchlist_id == row.id, ClaimRow.active.is_(True))
                .order_by(ClaimRow.id)
            )
            return to_watchlist(row, list(sources), [to_claim(c, row).spec for c in claims])

    def watchlist_source_ids(self, key: str) -> list[int]:
        """Ids of the sources ``key`` reads."""
        query = (
            select(WatchlistSourceRow.source_id)
            .join(WatchlistRow, WatchlistRow.id == WatchlistSourceRow.watchlist_id)
            .where(WatchlistRow.key == key)
        )
        with self._sessions() as session:
            return list(session.scalars(query))

    def prune_unlinked_sources(self) -> int:
        """Delete sources no watchlist reads any more and that never yielded an item."""
        with self._transaction() as session:
            linked = select(WatchlistSourceRow.source_id)
            used = select(ItemRow.source_id)
            result = session.execute(
                delete(SourceRow).where(SourceRow.id.not_in(linked), SourceRow.id.not_in(used))
            )
            return rows_changed(result)

    def claims_by_source(self, source_ids: Iterable[int]) -> dict[int, list[Claim]]:
        """Active claims of the active watchlists that read each source."""
        ids = sorted(set(source_ids))
        query = (
            select(WatchlistSourceRow.source_id, ClaimRow, WatchlistRow)
            .join(WatchlistRow, WatchlistRow.id == WatchlistSourceRow.watchlist_id)
            .join(ClaimRow, ClaimRow.watchlist_id == WatchlistRow.id)
            .where(WatchlistSourceRow.source_id.in_(ids))
            .where(WatchlistRow.active.is_(True), ClaimRow.active.is_(True))
            .order_by(ClaimRow.id)
        )
        result: dict[int, list[Claim]] = {source_id: [] for source_id in ids}
        with self._sessions() as session:
            for source_id, claim, watchlist in session.execute(query):
                result[source_id].append(to_claim(claim, watchlist))
        return result

    def claims(self, watchlist_key: str | None = None) -> list[Claim]:
        query = (
            select(ClaimRow, WatchlistRow)
            .join(WatchlistRow, WatchlistRow.id == ClaimRow.watchlist_id)
            .where(ClaimRow.active.is_(True))
            .order_by(ClaimRow.id)
        )
        if watchlist_key is not None:
            query = query.where(WatchlistRow.key == watchlist_key)
        with self._sessions() as session:
            return [to_claim(c, w) for c, w in session.execute(query)]

    def find_claim(self, claim_id: int) -> Claim | None:
        """The claim with ``claim_id`` (active or not), or None."""
        with self._sessions() as session:
            row = session.get(ClaimRow, claim_id)
            if row is None:
                return None
            watchlist = session.get(WatchlistRow, row.watchlist_id)
            assert watchlist is not None
            return to_claim(row, watchlist)


def _older_copy(session: Session, watchlist: Watchlist, origin: str, now: datetime) -> str | None:
    """Why ``watchlist`` is not to be stored (an older copy), recorded on its row; None when
    it is to be stored."""
    row = session.scalar(select(WatchlistRow).where(WatchlistRow.key == watchlist.key))
    if row is None or not watchlist.fingerprint:
        return None
    known = select(WatchlistVersionRow.fingerprint).where(
        WatchlistVersionRow.watchlist_id == row.id
    )
    if not is_older_copy(row.fingerprint, set(session.scalars(known)), watchlist.fingerprint):
        return None
    why = refusal(watchlist.key, watchlist.path, origin, now)
    row.sync_refused, row.sync_refused_at = why, now
    return why


def _record_version(
    session: Session, row: WatchlistRow, fingerprint: str, origin: str, now: datetime
) -> None:
    """Remember a version newly stored (a refusal is over once a newer version is in)."""
    if not fingerprint:
        return
    known = session.scalar(
        select(WatchlistVersionRow.id).where(
            WatchlistVersionRow.watchlist_id == row.id,
            WatchlistVersionRow.fingerprint == fingerprint,
        )
    )
    if known is None:
        session.add(
            WatchlistVersionRow(
                watchlist_id=row.id, fingerprint=fingerprint, stored_at=now, origin=origin[:300]
            )
        )
        row.sync_refused = row.sync_refused_at = None


def _upsert_watchlist(
    session: Session, watchlist: Watchlist, now: datetime
) -> tuple[WatchlistRow, bool]:
    """The stored watchlist, and whether its file is new or edited since it was last stored
    (a watchlist built without a file counts as edited)."""
    row = session.scalar(select(WatchlistRow).where(WatchlistRow.key == watchlist.key))
    if row is None:
        row = WatchlistRow(key=watchlist.key)
        session.add(row)
    edited = not watchlist.fingerprint or row.fingerprint != watchlist.fingerprint
    row.fingerprint = watchlist.fingerprint or None
    row.name = watchlist.name
    row.slack_channel = watchlist.slack_channel
    row.description = watchlist.description
    row.timezone = watchlist.timezone
    row.threshold = watchlist.threshold
    row.digest_recipients = list(watchlist.digest.recipients)
    row.digest_send_at = watchlist.digest.send_at.strftime("%H:%M")
    row.digest_timezone = watchlist.digest.timezone
    row.digest_stale_after_days = watchlist.digest.stale_after_days
    row.alert_policy = policy_json(watchlist.alerts)
    row.path = str(watchlist.path) if watchlist.path else None
    row.managed_in_git = watchlist.managed_in_git
    row.active = True
    row.updated_at = now
    session.flush()
    return row, edited


def _sync_claims(
    session: Session, watchlist_id: int, claims: Sequence[ClaimSpec], now: datetime
) -> int:
    existing = {
        row.key: row
        for row in session.scalars(select(ClaimRow).where(ClaimRow.watchlist_id == watchlist_id))
    }
    for spec in claims:
        row = existing.pop(spec.key, None)
        if row is None:
            row = ClaimRow(watchlist_id=watchlist_id, key=spec.key)
            session.add(row)
        elif row.text != spec.text or list(row.paraphrases or ()) != list(spec.paraphrases):
            drop_waiting(session, row.id)  # judged against wording that is gone
        row.text = spec.text
        row.paraphrases = list(spec.paraphrases)
        row.threshold = spec.threshold
        row.verdict = spec.verdict.value
        row.notes = spec.notes
        row.active = True
        row.updated_at = now
    for gone in existing.values():
        if gone.active:
            _mute_pending_alerts(session, gone.id, "its claim was removed from the watchlist")
            drop_waiting(session, gone.id)
        gone.active = False
        gone.updated_at = now
    return len(claims)


def _mute_pending_alerts(session: Session, claim_id: int, reason: str) -> None:
    """Alerts of ``claim_id`` still waiting to be sent are never sent (kept, muted)."""
    session.execute(
        update(AlertRow)
        .where(
            AlertRow.status == AlertStatus.PENDING.value,
            AlertRow.evidence_id.in_(
                select(EvidenceRow.id).where(EvidenceRow.claim_id == claim_id)
            ),
        )
        .values(status=AlertStatus.MUTED.value, last_error=reason)
    )


def _sync_sources(
    session: Session, watchlist_id: int, watchlist: Watchlist, now: datetime, edited: bool
) -> int:
    session.execute(
        delete(WatchlistSourceRow).where(WatchlistSourceRow.watchlist_id == watchlist_id)
    )
    for spec in watchlist.sources:
        hashed = sha256_key(spec.url)
        row = session.scalar(select(SourceRow).where(SourceRow.url_hash == hashed))
        if row is None:
            row = SourceRow(url_hash=hashed, url=spec.url, created_at=now, error_count=0)
            session.add(row)
        _apply_spec(row, spec, now)
        if row.enabled is None:
            row.enabled = True
        elif not row.enabled and edited and not row.disabled_by_editor:
            re_enable(row, now)  # given up on automatically: an edited file retries it
        session.flush()
        session.add(WatchlistSourceRow(watchlist_id=watchlist_id, source_id=row.id))
    session.flush()
    return len(watchlist.sources)


def _apply_spec(row: SourceRow, spec: SourceSpec, now: datetime) -> None:
    row.name = spec.name
    row.kind = spec.kind.value
    row.selector = spec.selector
    row.full_text = spec.full_text
    interval = int(spec.poll_interval.total_seconds())
    if row.poll_interval_s is not None and interval < row.poll_interval_s and row.next_poll_at:
        row.next_poll_at = min(row.next_poll_at, now + timedelta(seconds=interval))
    low, high = seconds(spec.min_poll_interval), seconds(spec.max_poll_interval)
    if (row.poll_interval_s, row.min_interval_s, row.max_interval_s) != (interval, low, high):
        row.adapted_interval_s = None  # a new interval from the desk starts adapting afresh
    row.poll_interval_s = interval
    row.min_interval_s, row.max_interval_s = low, high
