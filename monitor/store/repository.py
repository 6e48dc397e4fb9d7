"""Repository: every query monitor makes, speaking domain types in and out.

Each public method is one transaction. Evidence and the alerts it causes are written together,
so an alert is never lost between judging and delivery (the outbox pattern).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import StorageError
from monitor.ingest.dedup import SAME_STORY, SIZE, anchors, resemblance, sketch
from monitor.ingest.urls import canonical_url
from monitor.store.pgvector import open_vector_store
from monitor.store.tables import (
    AlertRow,
    ApiTokenRow,
    AuditRow,
    Base,
    ClaimRow,
    DigestRow,
    EvidenceRow,
    FeedbackRow,
    ItemAnchorRow,
    ItemRow,
    MuteRow,
    SlackThreadRow,
    SourceRow,
    UserRow,
    WatchlistRow,
    WatchlistSourceRow,
)
from monitor.store.vectors import VectorStore
from monitor.types import (
    Alert,
    AlertPolicy,
    AlertStatus,
    AuditEntry,
    Claim,
    ClaimSpec,
    DigestRecord,
    DigestSpec,
    DigestStatus,
    DigestSubscription,
    Evidence,
    EvidenceRecord,
    FeedbackKind,
    FeedEntry,
    Item,
    Mute,
    MuteTarget,
    QuietHours,
    Role,
    ServiceStatus,
    Source,
    SourceKind,
    SourceSpec,
    Stance,
    User,
    Verdict,
    Watchlist,
    WebSubState,
)

# Near-duplicates are looked for among items stored this recently.
STORY_WINDOW = timedelta(days=3)
_SYNC_LOCK = 0x6D6F6E6974727379  # the advisory lock taken while syncing watchlists
ANCHOR_CHUNK = 500  # anchors per query, well under SQLite's limit on bound parameters

RowT = TypeVar("RowT", bound=Base)
T = TypeVar("T")
C = TypeVar("C")


def digest_key(text: str) -> str:
    """SHA-256 hex of ``text``: how long unique strings (URLs, item keys) are indexed."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SyncSummary:
    """What :meth:`Repository.sync_watchlists` changed."""

    watchlists: int
    claims: int
    sources: int


def _storage_errors(cls: type[C]) -> type[C]:
    """Make every public method raise StorageError (chained) for what the database refuses."""
    for name, method in list(vars(cls).items()):
        if callable(method) and not name.startswith("_"):
            setattr(cls, name, _wrapped(method))
    return cls


def _wrapped(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> T:
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as err:
            raise StorageError(
                f"database error in {method.__name__}: {err.__class__.__name__}: "
                f"{str(err).splitlines()[0]}"
            ) from err

    return call


@_storage_errors
class Repository:
    """Domain-level access to the database (errors surface as StorageError)."""

    def __init__(self, engine: Engine, vector_store: str = "auto") -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite takes one writer at a time: writers of this process queue here instead of
        # failing with "database is locked" (readers never wait: the file is in WAL mode).
        serial = engine.dialect.name == "sqlite"
        self._write_lock: AbstractContextManager[Any] = (
            threading.RLock() if serial else contextlib.nullcontext()
        )
        self._vector_store = vector_store
        self._vectors: VectorStore | None = None

    @property
    def vectors(self) -> VectorStore:
        """Passage embeddings: the archive claim previews and backfills search. Chosen on first
        use (``vector_store``: auto, numpy or pgvector); ConfigError where pgvector is missing."""
        if self._vectors is None:
            self._vectors = open_vector_store(self.engine, self._write_lock, self._vector_store)
        return self._vectors

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in one write transaction, committed on success."""
        with self._write_lock, self._sessions.begin() as session:
            yield session

    # --- watchlists ---------------------------------------------------------------------

    def sync_watchlists(self, watchlists: Iterable[Watchlist], now: datetime) -> SyncSummary:
        """Insert or update watchlists, their claims and sources from their files.

        Claims that left a file are deactivated, never deleted, so their evidence stays.
        """
        counts = [0, 0, 0]
        with self._transaction() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Workers starting together sync the same files: one at a time, or two of
                # them would insert the same new watchlist.
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK})
            for watchlist in watchlists:
                row, edited = _upsert_watchlist(session, watchlist, now)
                counts[0] += 1
                counts[1] += _sync_claims(session, row.id, watchlist.claims, now)
                counts[2] += _sync_sources(session, row.id, watchlist, now, edited)
        return SyncSummary(*counts)

    def watchlist_keys(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(WatchlistRow.key).order_by(WatchlistRow.key)))

    # --- sources ------------------------------------------------------------------------

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
            return [_source(row) for row in session.scalars(query)]

    def source(self, source_id: int) -> Source:
        return _source(self._row(SourceRow, source_id))

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
                raise StorageError(f"source {source_id} not found")
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
            return _source(row)

    # --- WebSub ------------------------------------------------------------------------

    def record_hub(self, source_id: int, hub_url: str | None, topic_url: str | None) -> Source:
        """Remember the hub and topic a feed advertises; a new hub starts from no subscription."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            if (row.hub_url, row.topic_url) != (hub_url, topic_url):
                row.hub_url, row.topic_url = hub_url, topic_url
                row.websub_state = WebSubState.NONE.value
                row.websub_lease_until = None
                row.websub_error = None
            return _source(row)

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

    def find_source(self, source_id: int) -> Source | None:
        """The source with ``source_id``, or None."""
        with self._sessions() as session:
            row = session.get(SourceRow, source_id)
            return _source(row) if row is not None else None

    @staticmethod
    def _source_row(session: Session, source_id: int) -> SourceRow:
        row = session.get(SourceRow, source_id)
        if row is None:
            raise StorageError(f"source {source_id} not found")
        return row

    # --- items --------------------------------------------------------------------------

    def add_items(self, source_id: int, entries: Sequence[FeedEntry], now: datetime) -> list[Item]:
        """Store entries not seen before and return them as new items.

        An entry is known by its key (GUID, else canonical link), and also by its canonical link
        within its source: a feed that changes an article's GUID does not make it new.
        """
        unique = {digest_key(e.key): e for e in entries}
        if not unique:
            return []
        with self._sessions() as session:  # reading first keeps the write lock short
            known = _known_keys(session, unique) | _known_links(session, source_id, unique)
        fresh = {hashed: entry for hashed, entry in unique.items() if hashed not in known}
        if not fresh:
            return []
        sketches = {
            hashed: entry.sketch if entry.sketch is not None else sketch(entry.text)
            for hashed, entry in fresh.items()
        }
        with self._transaction() as session:
            taken = _known_keys(session, fresh)  # by another source since the read
            kept = [(hashed, entry) for hashed, entry in fresh.items() if hashed not in taken]
            if not kept:
                return []
            values: list[dict[str, Any]] = [
                {
                    "source_id": source_id,
                    "key_hash": hashed,
                    "key": entry.key,
                    "url": entry.url,
                    "title": entry.title,
                    "text": entry.text,
                    "published_at": entry.published_at,
                    "fetched_at": now,
                    "sketch": list(sketches[hashed]) or None,
                }
                for hashed, entry in kept
            ]
            # One multi-row INSERT ... RETURNING, not a unit of work per row (polling stores
            # thousands of items a cycle).
            inserted = insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True)
            ids = list(session.scalars(inserted, values))
            stories = _assign_stories(session, ids, [sketches[hashed] for hashed, _ in kept], now)
            return [
                Item(
                    id=item_id,
                    source_id=source_id,
                    key=entry.key,
                    url=entry.url,
                    title=entry.title,
                    text=entry.text,
                    published_at=entry.published_at,
                    fetched_at=now,
                    story_id=story,
                )
                for item_id, (_, entry), story in zip(ids, kept, stories, strict=True)
            ]

    def unseen_keys(self, keys: Sequence[str]) -> list[str]:
        """The keys no stored item has, in their order, each once."""
        hashed = {key: digest_key(key) for key in keys}
        if not hashed:
            return []
        with self._sessions() as session:
            known = _known_keys(session, set(hashed.values()))
        return [key for key, digest in hashed.items() if digest not in known]

    def items_per_day(self, now: datetime, days: int = 7) -> dict[int, list[int]]:
        """Items stored per source on each of the last ``days`` UTC days, oldest day first."""
        today = now.astimezone(UTC).date()
        start = datetime.combine(today - timedelta(days=days - 1), time(0), tzinfo=UTC)
        query = select(ItemRow.source_id, ItemRow.fetched_at).where(ItemRow.fetched_at >= start)
        counts: dict[int, list[int]] = {}
        with self._sessions() as session:
            for source_id, fetched_at in session.execute(query):
                day = days - 1 - (today - fetched_at.astimezone(UTC).date()).days
                if 0 <= day < days:
                    counts.setdefault(source_id, [0] * days)[day] += 1
        return counts

    def lease_unjudged(self, limit: int, now: datetime, until: datetime) -> list[Item]:
        """Take up to ``limit`` unjudged items not held by another worker, until ``until``."""
        query = (
            select(ItemRow)
            .where(ItemRow.judged_at.is_(None))
            .where(or_(ItemRow.judge_lease_until.is_(None), ItemRow.judge_lease_until < now))
            .order_by(ItemRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._transaction() as session:
            rows = list(session.scalars(query))
            for row in rows:
                row.judge_lease_until = until
            return [_item(row) for row in rows]

    def unjudged_items(self, limit: int = 1000) -> list[Item]:
        """Items stored but not yet matched against claims (also after a crash)."""
        query = select(ItemRow).where(ItemRow.judged_at.is_(None)).order_by(ItemRow.id).limit(limit)
        with self._sessions() as session:
            return [_item(row) for row in session.scalars(query)]

    def item(self, item_id: int) -> Item:
        return _item(self._row(ItemRow, item_id))

    def _row(self, table: type[RowT], row_id: int) -> RowT:
        """One row by primary key, detached from its session; StorageError if there is none."""
        with self._sessions() as session:
            row = session.get(table, row_id)
            if row is None:
                raise StorageError(f"{table.__tablename__} row {row_id} not found")
            return row

    def count_items(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count(ItemRow.id))) or 0)

    def items_after(self, item_id: int, limit: int) -> list[Item]:
        """Up to ``limit`` stored items with ids above ``item_id``, oldest first (paging)."""
        query = select(ItemRow).where(ItemRow.id > item_id).order_by(ItemRow.id).limit(limit)
        with self._sessions() as session:
            return [_item(row) for row in session.scalars(query)]

    # --- claims -------------------------------------------------------------------------

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
                result[source_id].append(_claim(claim, watchlist))
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
            return [_claim(c, w) for c, w in session.execute(query)]

    # --- evidence and the outbox --------------------------------------------------------

    def record_judgement(
        self, item_ids: Sequence[int], evidence: Sequence[Evidence], now: datetime
    ) -> int:
        """Store new evidence, queue one alert per evidence, mark the items judged.

        One transaction: either all of it lands or none. Returns the number of alerts queued.
        """
        queued = 0
        with self._transaction() as session:
            for found in evidence:
                if _evidence_exists(session, found.claim_id, found.item_id):
                    continue
                row = EvidenceRow(
                    claim_id=found.claim_id,
                    item_id=found.item_id,
                    score=found.score,
                    quote=found.quote,
                    stance=found.stance.value,
                    stance_confidence=found.stance_confidence,
                    created_at=now,
                )
                session.add(row)
                session.flush()
                if found.alert and not _story_already_has(session, row):
                    queued += _queue_alert(session, row, now)
            if item_ids:
                session.execute(
                    update(ItemRow)
                    .where(ItemRow.id.in_(item_ids), ItemRow.judged_at.is_(None))
                    .values(judged_at=now)
                )
        return queued

    def evidence_for_claim(self, claim_id: int) -> list[Evidence]:
        query = select(EvidenceRow).where(EvidenceRow.claim_id == claim_id).order_by(EvidenceRow.id)
        with self._sessions() as session:
            return [_evidence(row) for row in session.scalars(query)]

    def alerts(
        self, status: AlertStatus | None = None, limit: int = 100, *, newest_first: bool = False
    ) -> list[Alert]:
        """Alerts in the outbox, oldest (or newest) first; only those in ``status`` if given."""
        order = AlertRow.id.desc() if newest_first else AlertRow.id
        query = _alert_query().order_by(order).limit(limit)
        if status is not None:
            query = query.where(AlertRow.status == status.value)
        with self._sessions() as session:
            return [
                replace(_alert(*row), outlets=_outlets(session, row[4]))
                for row in session.execute(query)
            ]

    # --- status -------------------------------------------------------------------------

    def status(self, now: datetime) -> ServiceStatus:
        """Counts that say whether the service is keeping up."""
        day = now - timedelta(days=1)
        with self._sessions() as session:

            def count(query: Select[Any]) -> int:
                return int(session.scalar(query) or 0)

            def sources(*where: Any) -> int:
                return count(select(func.count(SourceRow.id)).where(*where))

            def alerts(*where: Any) -> int:
                return count(select(func.count(AlertRow.id)).where(*where))

            by_stance = dict(
                session.execute(
                    select(EvidenceRow.stance, func.count(EvidenceRow.id))
                    .where(EvidenceRow.created_at >= day)
                    .group_by(EvidenceRow.stance)
                ).all()
            )
            pending = AlertRow.status == AlertStatus.PENDING.value
            return ServiceStatus(
                sources=sources(SourceRow.enabled.is_(True)),
                sources_failing=sources(SourceRow.enabled.is_(True), SourceRow.error_count > 0),
                sources_disabled=sources(SourceRow.enabled.is_(False)),
                sources_overdue=sources(
                    SourceRow.enabled.is_(True),
                    SourceRow.next_poll_at < now - timedelta(minutes=5),
                ),
                last_success_at=session.scalar(select(func.max(SourceRow.last_success_at))),
                items=count(select(func.count(ItemRow.id))),
                items_last_day=count(
                    select(func.count(ItemRow.id)).where(ItemRow.fetched_at >= day)
                ),
                unjudged=count(select(func.count(ItemRow.id)).where(ItemRow.judged_at.is_(None))),
                evidence_last_day={str(k): int(v) for k, v in by_stance.items()},
                alerts_pending=alerts(pending),
                alerts_sending=alerts(AlertRow.status == AlertStatus.SENDING.value),
                alerts_failed=alerts(AlertRow.status == AlertStatus.FAILED.value),
                alerts_sent_last_day=alerts(
                    AlertRow.status.in_([AlertStatus.SENT.value, AlertStatus.BATCHED.value]),
                    AlertRow.sent_at >= day,
                ),
                oldest_pending_at=session.scalar(
                    select(func.min(AlertRow.created_at)).where(pending)
                ),
            )

    # --- delivery -----------------------------------------------------------------------

    def due_alerts(self, now: datetime, limit: int = 500) -> list[Alert]:
        """Pending alerts whose retry time has come, oldest first."""
        query = (
            _alert_query()
            .where(AlertRow.status == AlertStatus.PENDING.value)
            .where(or_(AlertRow.next_attempt_at.is_(None), AlertRow.next_attempt_at <= now))
            .order_by(AlertRow.id)
            .limit(limit)
        )
        with self._sessions() as session:
            return [
                replace(_alert(*row), outlets=_outlets(session, row[4]))
                for row in session.execute(query)
            ]

    def stale_sending(self, claimed_before: datetime) -> list[Alert]:
        """Alerts a sender took before ``claimed_before`` and never settled (it died)."""
        query = (
            _alert_query()
            .where(AlertRow.status == AlertStatus.SENDING.value)
            .where(AlertRow.claimed_at < claimed_before)
            .order_by(AlertRow.id)
        )
        with self._sessions() as session:
            return [_alert(*row) for row in session.execute(query)]

    def claim_alerts(
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
        with self._transaction() as session:
            session.execute(
                update(AlertRow)
                .where(AlertRow.id == alert_id)
                .values(
                    status=status.value,
                    slack_ts=slack_ts,
                    thread_ts=thread_ts,
                    sent_at=now,
                    attempts=AlertRow.attempts + 1,
                    last_error=None,
                    next_attempt_at=None,
                )
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
        with self._transaction() as session:
            session.execute(
                update(AlertRow)
                .where(AlertRow.id == alert_id)
                .values(
                    status=status.value,
                    last_error=error,
                    attempts=AlertRow.attempts + (1 if attempted else 0),
                    next_attempt_at=retry_at,
                    claimed_at=None,
                )
            )

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
        adjustment: float = 0.0,
        bounds: tuple[float, float] = (-0.1, 0.15),
    ) -> Alert:
        """Store an editor's feedback and move the claim's threshold by ``adjustment`` (kept
        within ``bounds``); returns the alert with every feedback it has had."""
        with self._transaction() as session:
            row = session.execute(_alert_query().where(AlertRow.id == alert_id)).first()
            if row is None:
                raise StorageError(f"alert {alert_id} not found")
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
            if adjustment:
                low, high = bounds
                current = claim.feedback_adjustment or 0.0
                claim.feedback_adjustment = round(min(high, max(low, current + adjustment)), 4)
            session.flush()
            said = session.scalars(
                select(FeedbackRow).where(FeedbackRow.alert_id == alert_id).order_by(FeedbackRow.id)
            )
            feedback = tuple(_feedback_label(f.kind, f.user_name) for f in said)
            return replace(_alert(*row), feedback=feedback)

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

    def prune_unlinked_sources(self) -> int:
        """Delete sources no watchlist reads any more and that never yielded an item."""
        with self._transaction() as session:
            linked = select(WatchlistSourceRow.source_id)
            used = select(ItemRow.source_id)
            result = session.execute(
                delete(SourceRow).where(SourceRow.id.not_in(linked), SourceRow.id.not_in(used))
            )
            return int(getattr(result, "rowcount", 0) or 0)

    # --- the web front end --------------------------------------------------------------

    def find_claim(self, claim_id: int) -> Claim | None:
        """The claim with ``claim_id`` (active or not), or None."""
        with self._sessions() as session:
            row = session.get(ClaimRow, claim_id)
            if row is None:
                return None
            watchlist = session.get(WatchlistRow, row.watchlist_id)
            assert watchlist is not None
            return _claim(row, watchlist)

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
            return _watchlist(row, list(sources), [_claim(c, row).spec for c in claims])

    def watchlist_source_ids(self, key: str) -> list[int]:
        """Ids of the sources ``key`` reads."""
        query = (
            select(WatchlistSourceRow.source_id)
            .join(WatchlistRow, WatchlistRow.id == WatchlistSourceRow.watchlist_id)
            .where(WatchlistRow.key == key)
        )
        with self._sessions() as session:
            return list(session.scalars(query))

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
                feedback.setdefault(evidence_id, []).append(_feedback_label(kind, user))
        return [
            _evidence_record(
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

    def backfill_evidence(self, evidence: Sequence[Evidence], now: datetime) -> int:
        """Record evidence found in the archive, without alerts (it is old news); evidence
        already stored is left alone. Returns how many were recorded."""
        recorded = 0
        with self._transaction() as session:
            for found in evidence:
                if _evidence_exists(session, found.claim_id, found.item_id):
                    continue
                session.add(
                    EvidenceRow(
                        claim_id=found.claim_id,
                        item_id=found.item_id,
                        score=found.score,
                        quote=found.quote,
                        stance=found.stance.value,
                        stance_confidence=found.stance_confidence,
                        created_at=now,
                    )
                )
                recorded += 1
        return recorded

    def set_source_enabled(
        self, source_id: int, enabled: bool, now: datetime, reason: str | None = None
    ) -> Source:
        """Disable a source (with ``reason``) or enable it again, polled at once."""
        with self._transaction() as session:
            row = self._source_row(session, source_id)
            if enabled and not row.enabled:
                _re_enable(row, now)
            elif not enabled:
                row.enabled = False
                row.disabled_reason = reason or "disabled by an editor"
                row.disabled_by_editor = True  # stays disabled when its watchlist is edited
            return _source(row)

    def add_user(self, name: str, password_hash: str, role: Role, now: datetime) -> User:
        with self._transaction() as session:
            row = UserRow(
                name=name, password_hash=password_hash, role=role.value, active=True, created_at=now
            )
            session.add(row)
            session.flush()
            return _user(row)

    def update_user(
        self,
        name: str,
        *,
        password_hash: str | None = None,
        role: Role | None = None,
        active: bool | None = None,
    ) -> User:
        """Change a user's password hash, role or active flag (those given)."""
        with self._transaction() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            if row is None:
                raise StorageError(f"no user named {name!r}")
            if password_hash is not None:
                row.password_hash = password_hash
            if role is not None:
                row.role = role.value
            if active is not None:
                row.active = active
            return _user(row)

    def user_credentials(self, name: str) -> tuple[User, str] | None:
        """The user named ``name`` and their password hash, or None."""
        with self._sessions() as session:
            row = session.scalar(select(UserRow).where(UserRow.name == name))
            return (_user(row), row.password_hash) if row is not None else None

    def find_user(self, user_id: int) -> User | None:
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return _user(row) if row is not None else None

    def user_by_id(self, user_id: int) -> tuple[User, str] | None:
        """The user with ``user_id`` and their password hash, or None."""
        with self._sessions() as session:
            row = session.get(UserRow, user_id)
            return (_user(row), row.password_hash) if row is not None else None

    def users(self) -> list[User]:
        with self._sessions() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.name))]

    def add_api_token(self, user_id: int, name: str, token_hash: str, now: datetime) -> int:
        with self._transaction() as session:
            row = ApiTokenRow(
                user_id=user_id, name=name, token_hash=token_hash, created_at=now, revoked=False
            )
            session.add(row)
            session.flush()
            return row.id

    def api_tokens(self, user_id: int) -> list[tuple[int, str, datetime, datetime | None]]:
        """A user's live tokens: (id, name, created, last used)."""
        query = (
            select(
                ApiTokenRow.id, ApiTokenRow.name, ApiTokenRow.created_at, ApiTokenRow.last_used_at
            )
            .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked.is_(False))
            .order_by(ApiTokenRow.id)
        )
        with self._sessions() as session:
            return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]

    def revoke_api_token(self, user_id: int, token_id: int) -> bool:
        with self._transaction() as session:
            result = session.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.id == token_id, ApiTokenRow.user_id == user_id)
                .values(revoked=True)
            )
            return bool(getattr(result, "rowcount", 0))

    def token_user(self, token_hash: str, now: datetime) -> User | None:
        """The active user a live token belongs to (its last use is noted, once a minute)."""
        query = (
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked.is_(False))
            .where(UserRow.active.is_(True))
        )
        with self._sessions() as session:
            found = session.execute(query).first()
        if found is None:
            return None
        token, user = found
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            with self._transaction() as session:
                session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token.id).values(last_used_at=now)
                )
        return _user(user)

    def record_audit(
        self,
        actor: str,
        action: str,
        target: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        with self._transaction() as session:
            session.add(
                AuditRow(
                    at=now, actor=actor, action=action, target=target, before=before, after=after
                )
            )

    def audit_log(self, limit: int = 100, target: str | None = None) -> list[AuditEntry]:
        """The newest edits first; only those of ``target`` when given."""
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if target is not None:
            query = query.where(AuditRow.target == target)
        with self._sessions() as session:
            return [
                AuditEntry(r.id, r.at, r.actor, r.action, r.target, r.before, r.after)
                for r in session.scalars(query)
            ]

    # --- daily digests ------------------------------------------------------------------

    def digest_subscriptions(self, key: str | None = None) -> list[DigestSubscription]:
        """Active watchlists with digest recipients; ``key`` alone (recipients or not) when
        given."""
        query = select(WatchlistRow).where(WatchlistRow.active.is_(True)).order_by(WatchlistRow.key)
        if key is not None:
            query = query.where(WatchlistRow.key == key)
        with self._sessions() as session:
            rows = list(session.scalars(query))
        return [
            DigestSubscription(row.key, row.name, _digest_spec(row))
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
            return [_source(row) for row in session.scalars(query)]

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
                _evidence_record(row, claim_key, item, source_name)
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
        return {claim_id: _utc(at) for claim_id, at in found if at is not None}

    def last_digest_until(self, key: str) -> datetime | None:
        """Where the watchlist's newest digest (sent, or still being sent) ends."""
        query = (
            select(func.max(DigestRow.until))
            .join(WatchlistRow, WatchlistRow.id == DigestRow.watchlist_id)
            .where(WatchlistRow.key == key, DigestRow.status != DigestStatus.FAILED.value)
        )
        with self._sessions() as session:
            found = session.scalar(query)
        return _utc(found) if found is not None else None

    def claim_digest(
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
                    raise StorageError(f"watchlist {key!r} not found")
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
                return _digest(row, key)
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
                raise StorageError(f"digest {digest_id} not found")
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
            return [_digest(row, key) for row, key in session.execute(query)]

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
            return [_digest(row, k) for row, k in session.execute(query)]


# --- helpers (module-private) -----------------------------------------------------------------


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
    row.alert_policy = _policy_json(watchlist.alerts)
    row.path = str(watchlist.path) if watchlist.path else None
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
        row = existing.pop(spec.id, None)
        if row is None:
            row = ClaimRow(watchlist_id=watchlist_id, key=spec.id)
            session.add(row)
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


def _sync_sources(
    session: Session, watchlist_id: int, watchlist: Watchlist, now: datetime, edited: bool
) -> int:
    session.execute(
        delete(WatchlistSourceRow).where(WatchlistSourceRow.watchlist_id == watchlist_id)
    )
    for spec in watchlist.sources:
        hashed = digest_key(spec.url)
        row = session.scalar(select(SourceRow).where(SourceRow.url_hash == hashed))
        if row is None:
            row = SourceRow(url_hash=hashed, url=spec.url, created_at=now, error_count=0)
            session.add(row)
        _apply_spec(row, spec, now)
        if row.enabled is None:
            row.enabled = True
        elif not row.enabled and edited and not row.disabled_by_editor:
            _re_enable(row, now)  # given up on automatically: an edited file retries it
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
    low, high = _seconds(spec.min_poll_interval), _seconds(spec.max_poll_interval)
    if (row.poll_interval_s, row.min_interval_s, row.max_interval_s) != (interval, low, high):
        row.adapted_interval_s = None  # a new interval from the desk starts adapting afresh
    row.poll_interval_s = interval
    row.min_interval_s, row.max_interval_s = low, high


def _seconds(duration: timedelta | None) -> int | None:
    return None if duration is None else int(duration.total_seconds())


def _duration(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


def _re_enable(row: SourceRow, now: datetime) -> None:
    """A disabled source whose watchlist was edited gets a fresh start, polled at once."""
    row.enabled = True
    row.disabled_reason = None
    row.disabled_by_editor = False
    row.error_count = 0
    row.failing_since = None
    row.next_poll_at = now


def _evidence_exists(session: Session, claim_id: int, item_id: int) -> bool:
    query = select(EvidenceRow.id).where(
        and_(EvidenceRow.claim_id == claim_id, EvidenceRow.item_id == item_id)
    )
    return session.scalar(query) is not None


def _known_links(session: Session, source_id: int, entries: dict[str, FeedEntry]) -> set[str]:
    """Keys of entries whose article link the source already gave under another key.

    Only links that name one article are used: entries without a link of their own share the
    feed's address, which says nothing about their identity.
    """
    counts = Counter(entry.url for entry in entries.values())
    source = session.get(SourceRow, source_id)
    feed = {source.url, canonical_url(source.url)} if source is not None else set()
    links = {e.url for e in entries.values() if counts[e.url] == 1 and e.url not in {e.key, *feed}}
    if not links:
        return set()
    query = select(ItemRow.url).where(ItemRow.source_id == source_id, ItemRow.url.in_(links))
    stored = set(session.scalars(query))
    return {hashed for hashed, entry in entries.items() if entry.url in stored}


def _feedback_label(kind: str, user: str) -> str:
    """How an editor's feedback on an alert is shown: ``not_relevant by ana``."""
    return f"{kind} by {user}"


def _known_keys(session: Session, hashed: Iterable[str]) -> set[str]:
    """Those of the ``hashed`` item keys that a stored item already has."""
    query = select(ItemRow.key_hash).where(ItemRow.key_hash.in_(set(hashed)))
    return set(session.scalars(query))


def _assign_stories(
    session: Session, ids: Sequence[int], sketches: Sequence[tuple[int, ...]], now: datetime
) -> list[int]:
    """Put each new item into the story of a recent near-duplicate (stored before, or earlier in
    this batch), or start its own story; returns the story ids. One query finds the candidates
    of the whole batch."""
    wanted = sorted({a for fingerprint in sketches for a in anchors(fingerprint)})
    candidates: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
    for start in range(0, len(wanted), ANCHOR_CHUNK):
        chunk = wanted[start : start + ANCHOR_CHUNK]
        # Each recent item sharing an anchor comes once, however many anchors it shares.
        sharing = select(ItemAnchorRow.item_id).where(ItemAnchorRow.anchor.in_(chunk))
        query = select(ItemRow.story_id, ItemRow.sketch).where(
            ItemRow.id.in_(sharing),
            ItemRow.fetched_at >= now - STORY_WINDOW,
            ItemRow.story_id.is_not(None),
        )
        looked_up = set(chunk)
        for story_id, stored in session.execute(query):
            if story_id is None:  # filtered out by the query; for the type checker
                continue
            other = tuple(stored or ())
            for anchor in anchors(other):
                if anchor in looked_up:
                    candidates.setdefault(anchor, []).append((story_id, other))
    links: list[dict[str, int]] = []
    stories: list[int] = []
    for item_id, fingerprint in zip(ids, sketches, strict=True):
        story = _closest_story(fingerprint, candidates) or item_id
        stories.append(story)
        for anchor in anchors(fingerprint):
            candidates.setdefault(anchor, []).append((story, fingerprint))
            links.append({"anchor": anchor, "item_id": item_id})
    session.execute(
        update(ItemRow), [{"id": i, "story_id": s} for i, s in zip(ids, stories, strict=True)]
    )
    if links:
        session.execute(insert(ItemAnchorRow), links)
    return stories


def _closest_story(
    fingerprint: tuple[int, ...], candidates: dict[int, list[tuple[int, tuple[int, ...]]]]
) -> int | None:
    """The story most resembling ``fingerprint`` above :data:`SAME_STORY` (oldest on ties)."""
    found = {c for anchor in anchors(fingerprint) for c in candidates.get(anchor, ())}
    best, story = SAME_STORY, None
    mine = set(fingerprint)
    for story_id, other in sorted(found):
        # Cheap bound first: a sketch sharing few hashes cannot resemble enough to matter.
        bound = len(mine.intersection(other)) / min(SIZE, len(fingerprint), len(other))
        if bound < best or (bound == best and story is not None):
            continue
        similarity = resemblance(fingerprint, other)
        if similarity > best or (similarity == best and story is None):
            best, story = similarity, story_id
    return story


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


def _outlets(session: Session, item: ItemRow) -> tuple[str, ...]:
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


def _queue_alert(session: Session, evidence: EvidenceRow, now: datetime) -> int:
    """One alert per channel the evidence goes to (the watchlist's, plus its stance's routes)."""
    claim = session.get(ClaimRow, evidence.claim_id)
    assert claim is not None
    watchlist = session.get(WatchlistRow, claim.watchlist_id)
    assert watchlist is not None
    policy = _policy(watchlist.alert_policy)
    channels = policy.channels(watchlist.slack_channel, Stance(evidence.stance))
    session.add_all(
        AlertRow(
            evidence_id=evidence.id,
            watchlist_id=watchlist.id,
            channel=channel,
            status=AlertStatus.PENDING.value,
            attempts=0,
            created_at=now,
        )
        for channel in channels
    )
    return len(channels)


def _policy_json(policy: AlertPolicy) -> dict[str, Any]:
    quiet = policy.quiet_hours
    return {
        "routes": {stance.value: list(channels) for stance, channels in policy.routes},
        "quiet_hours": [quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")]
        if quiet
        else None,
        "per_claim_per_hour": policy.per_claim_per_hour,
        "per_channel_per_hour": policy.per_channel_per_hour,
    }


def _policy(data: dict[str, Any] | None) -> AlertPolicy:
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


def _alert_query() -> Select[AlertRow, EvidenceRow, ClaimRow, WatchlistRow, ItemRow, SourceRow]:
    return (
        select(AlertRow, EvidenceRow, ClaimRow, WatchlistRow, ItemRow, SourceRow)
        .join(EvidenceRow, EvidenceRow.id == AlertRow.evidence_id)
        .join(ClaimRow, ClaimRow.id == EvidenceRow.claim_id)
        .join(WatchlistRow, WatchlistRow.id == AlertRow.watchlist_id)
        .join(ItemRow, ItemRow.id == EvidenceRow.item_id)
        .join(SourceRow, SourceRow.id == ItemRow.source_id)
    )


def _source(row: SourceRow) -> Source:
    return Source(
        id=row.id,
        name=row.name,
        url=row.url,
        kind=SourceKind(row.kind),
        poll_interval=timedelta(seconds=row.poll_interval_s),
        selector=row.selector,
        full_text=row.full_text,
        min_poll_interval=_duration(row.min_interval_s),
        max_poll_interval=_duration(row.max_interval_s),
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
        adapted_interval=_duration(row.adapted_interval_s or None),
        hub_url=row.hub_url,
        topic_url=row.topic_url,
        websub_secret=row.websub_secret,
        websub_state=WebSubState(row.websub_state or "none"),
        websub_lease_until=row.websub_lease_until,
        websub_error=row.websub_error,
        websub_changed_at=row.websub_changed_at,
    )


def _item(row: ItemRow) -> Item:
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


def _claim(row: ClaimRow, watchlist: WatchlistRow) -> Claim:
    spec = ClaimSpec(
        id=row.key,
        text=row.text,
        paraphrases=tuple(row.paraphrases or ()),
        threshold=row.threshold,
        verdict=Verdict(row.verdict),
        notes=row.notes,
    )
    threshold = row.threshold if row.threshold is not None else watchlist.threshold
    threshold = min(0.99, max(0.0, threshold + (row.feedback_adjustment or 0.0)))
    return Claim(id=row.id, watchlist_key=watchlist.key, spec=spec, threshold=threshold)


def _evidence_record(
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
        evidence=_evidence(row),
        claim_key=claim_key,
        item_title=item.title,
        item_url=item.url,
        source_name=source_name,
        published_at=item.published_at,
        created_at=row.created_at,
        alerted=alerted,
        feedback=feedback,
    )


def _evidence(row: EvidenceRow) -> Evidence:
    return Evidence(
        claim_id=row.claim_id,
        item_id=row.item_id,
        score=row.score,
        quote=row.quote,
        stance=Stance(row.stance),
        stance_confidence=row.stance_confidence,
    )


def _alert(
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
        policy=_policy(watchlist.alert_policy),
        slack_ts=alert.slack_ts,
        thread_ts=alert.thread_ts,
        next_attempt_at=alert.next_attempt_at,
    )


def _user(row: UserRow) -> User:
    return User(id=row.id, name=row.name, role=Role(row.role), active=row.active)


def _watchlist(row: WatchlistRow, sources: list[SourceRow], claims: list[ClaimSpec]) -> Watchlist:
    return Watchlist(
        key=row.key,
        name=row.name,
        slack_channel=row.slack_channel,
        description=row.description,
        timezone=row.timezone,
        threshold=row.threshold,
        digest=_digest_spec(row),
        alerts=_policy(row.alert_policy),
        path=Path(row.path) if row.path else None,
        fingerprint=row.fingerprint or "",
        sources=tuple(
            SourceSpec(
                name=s.name,
                url=s.url,
                kind=SourceKind(s.kind),
                poll_interval=timedelta(seconds=s.poll_interval_s),
                selector=s.selector,
                full_text=s.full_text,
                min_poll_interval=_duration(s.min_interval_s),
                max_poll_interval=_duration(s.max_interval_s),
            )
            for s in sources
        ),
        claims=tuple(claims),
    )


def _digest_spec(row: WatchlistRow) -> DigestSpec:
    return DigestSpec(
        recipients=tuple(row.digest_recipients or ()),
        send_at=time.fromisoformat(row.digest_send_at),
        timezone=row.digest_timezone or row.timezone,
        stale_after_days=row.digest_stale_after_days or DigestSpec.stale_after_days,
    )


def _utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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


def _digest(row: DigestRow, key: str) -> DigestRecord:
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
