"""Sources: what a poll recorded, the polling lease, WebSub subscriptions, enabling."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitor.errors import NotFoundError
from monitor.store.base import StorageBase, storage_errors
from monitor.store.mapping import to_source
from monitor.store.tables import SourceRow, WatchlistRow, WatchlistSourceRow
from monitor.types import Source, WebSubState


@storage_errors
class SourcesMixin(StorageBase):
    """Sources and their polling state."""

    def sources(
        self, *, due_at: datetime | None = None, include_disabled: bool = False
    ) -> list[Source]:
        """Enabled sources of active watchlists (disabled ones too when asked); only those due at
        ``due_at`` when given."""
        query = (
            select(SourceRow)
            .where(
                SourceRow.id.in_(
                    select(WatchlistSourceRow.source_id)
                    .join(WatchlistRow, WatchlistRow.id == WatchlistSourceRow.watchlist_id)
                    .where(WatchlistRow.active.is_(True))
                )
            )
            .order_by(SourceRow.id)
        )
        if not include_disabled:
            query = query.where(SourceRow.enabled.is_(True))
        if due_at is not None:
            query = query.where(
                or_(SourceRow.next_poll_at.is_(None), SourceRow.next_poll_at <= due_at)
            )
        with self._sessions() as session:
            return [to_source(row) for row in session.scalars(query)]

    def source(self, source_id: int) -> Source:
        return to_source(self._row(SourceRow, source_id))

    def find_source(self, source_id: int) -> Source | None:
        """The source with ``source_id``, or None."""
        with self._sessions() as session:
            row = session.get(SourceRow, source_id)
            return to_source(row) if row is not None else None

    def record_fetch(
        self,
        source_id: int,
        now: datetime,
        next_poll_at: datetime,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        error: str | None = None,
        interval: timedelta | None = None,
        disabled_reason: str | None = None,
        duration: float | None = None,
    ) -> None:
        """Record the outcome of a fetch: validators and the adapted ``interval`` on success;
        the error otherwise, and ``disabled_reason`` when the source is given up on;
        ``duration``, the seconds the poll took."""
        with self._transaction() as session:
            row = session.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"source {source_id} not found")
            row.last_fetched_at = now
            row.next_poll_at = next_poll_at
            row.lease_owner = row.lease_until = None
            if duration is not None:
                row.last_duration_s = round(duration, 3)
            if error is None:
                _record_success(row, now, etag, last_modified, interval)
            else:
                _record_error(row, now, error, disabled_reason)

    def lease_source(
        self, source_id: int, owner: str, now: datetime, until: datetime, due_by: datetime
    ) -> Source | None:
        """Take the source for polling if it is enabled, due and not held by a live lease.

        Due means its next poll time is at or before ``due_by``. Exactly one of several
        workers asking at once gets it (row lock, ``SKIP LOCKED`` on PostgreSQL); the lease ends
        when its poll is recorded, or at ``until`` if the worker died. Returns None when the
        source is not to be polled now.
        """
        query = (
            select(SourceRow)
            .where(SourceRow.id == source_id, SourceRow.enabled.is_(True))
            .where(or_(SourceRow.next_poll_at.is_(None), SourceRow.next_poll_at <= due_by))
            .where(or_(SourceRow.lease_until.is_(None), SourceRow.lease_until < now))
            .with_for_update(skip_locked=True)
        )
        with self._transaction() as session:
            row = session.scalar(query)
            if row is None:
                return None
            row.lease_owner, row.lease_until = owner, until
            return to_source(row)

    def set_source_enabled(
        self, source_id: int, enabled: bool, now: datetime, reason: str | None = None
    ) -> Source:
        """Disable a source (with ``reason``) or enable it again, polled at once."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            if enabled and not row.enabled:
                re_enable(row, now)
            elif not enabled:
                row.enabled = False
                row.disabled_reason = reason or "disabled by an editor"
                row.disabled_by_editor = True  # stays disabled when its watchlist is edited
            return to_source(row)

    def record_hub(self, source_id: int, hub_url: str | None, topic_url: str | None) -> Source:
        """Remember the hub and topic a feed advertises; a new hub starts from no subscription."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            if (row.hub_url, row.topic_url) != (hub_url, topic_url):
                row.hub_url, row.topic_url = hub_url, topic_url
                row.websub_state = WebSubState.NONE.value
                row.websub_lease_until = None
                row.websub_error = None
            return to_source(row)

    def set_websub(
        self,
        source_id: int,
        state: WebSubState,
        now: datetime,
        *,
        secret: str | None = None,
        lease_until: datetime | None = None,
        error: str | None = None,
    ) -> None:
        """Record a subscription step; ``secret`` and ``lease_until`` are kept when not given."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            row.websub_state = state.value
            row.websub_changed_at = now
            row.websub_error = error
            if secret is not None:
                row.websub_secret = secret
            if lease_until is not None:
                row.websub_lease_until = lease_until

    def record_websub_error(self, source_id: int, error: str, now: datetime) -> None:
        """Record a failed subscription request; the state stays as it was."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            row.websub_error = error
            row.websub_changed_at = now

    @staticmethod
    def _source_row(session: Session, source_id: int) -> SourceRow:
        row = session.get(SourceRow, source_id)
        if row is None:
            raise NotFoundError(f"source {source_id} not found")
        return row


def _record_success(
    row: SourceRow,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    interval: timedelta | None,
) -> None:
    row.last_success_at = now
    row.last_error = None
    row.error_count = 0
    row.failing_since = None
    row.etag = etag
    row.last_modified = last_modified
    if interval is not None:
        row.adapted_interval_s = int(interval.total_seconds())


def _record_error(row: SourceRow, now: datetime, error: str, disabled_reason: str | None) -> None:
    if row.error_count == 0 or row.failing_since is None:
        row.failing_since = now
    row.last_error = error
    row.error_count += 1
    if disabled_reason is not None:
        row.enabled = False
        row.disabled_reason = disabled_reason


def re_enable(row: SourceRow, now: datetime) -> None:
    """A disabled source whose watchlist was edited gets a fresh start, polled at once."""
    row.enabled = True
    row.disabled_reason = None
    row.disabled_by_editor = False
    row.error_count = 0
    row.failing_since = None
    row.next_poll_at = now
