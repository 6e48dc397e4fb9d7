"""Items: new entries stored once (by key, or by link within a source), grouped into stories; the
judging lease."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from monitor.ingest.dedup import anchors, sketch
from monitor.ingest.stories import STORY_WINDOW, Candidates, assign_stories
from monitor.ingest.urls import canonical_url
from monitor.store.base import (
    ANCHOR_CHUNK,
    StorageBase,
    rows_changed,
    sha256_key,
    storage_errors,
)
from monitor.store.mapping import to_item
from monitor.store.tables import ItemAnchorRow, ItemRow, SourceRow
from monitor.types import FeedEntry, Item


@storage_errors
class ItemsMixin(StorageBase):
    """Stored items and the lease on judging them."""

    def add_items(self, source_id: int, entries: Sequence[FeedEntry], now: datetime) -> list[Item]:
        """Store entries not seen before and return them as new items.

        An entry is known by its key (GUID, else canonical link), and also by its canonical link
        within its source: a feed that changes an article's GUID does not make it new.
        """
        unique = {sha256_key(e.key): e for e in entries}
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
        hashed = {key: sha256_key(key) for key in keys}
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

    def lease_unjudged(
        self, limit: int, now: datetime, until: datetime, owner: str = ""
    ) -> list[Item]:
        """Take up to ``limit`` unjudged items not held by another worker, until ``until``, for
        the worker ``owner``."""
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
                row.judge_lease_until, row.judge_lease_owner = until, owner or None
            return [to_item(row) for row in rows]

    def release_judge_leases(
        self, item_ids: Sequence[int] | None = None, *, owner: str | None = None
    ) -> int:
        """Give unjudged items back at once: those of ``item_ids`` and/or those ``owner``
        holds; returns how many."""
        query = update(ItemRow).where(ItemRow.judged_at.is_(None))
        if item_ids is not None:
            query = query.where(ItemRow.id.in_(item_ids))
        if owner is not None:
            query = query.where(ItemRow.judge_lease_owner == owner)
        with self._transaction() as session:
            result = session.execute(query.values(judge_lease_until=None, judge_lease_owner=None))
            return rows_changed(result)

    def unjudged_items(self, limit: int = 1000) -> list[Item]:
        """Items stored but not yet matched against claims (also after a crash)."""
        query = select(ItemRow).where(ItemRow.judged_at.is_(None)).order_by(ItemRow.id).limit(limit)
        with self._sessions() as session:
            return [to_item(row) for row in session.scalars(query)]

    def item(self, item_id: int) -> Item:
        return to_item(self._row(ItemRow, item_id))

    def count_items(self) -> int:
        with self._sessions() as session:
            return int(session.scalar(select(func.count(ItemRow.id))) or 0)

    def items_after(self, item_id: int, limit: int) -> list[Item]:
        """Up to ``limit`` stored items with ids above ``item_id``, oldest first (paging)."""
        query = select(ItemRow).where(ItemRow.id > item_id).order_by(ItemRow.id).limit(limit)
        with self._sessions() as session:
            return [to_item(row) for row in session.scalars(query)]


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


def _known_keys(session: Session, hashed: Iterable[str]) -> set[str]:
    """Those of the ``hashed`` item keys that a stored item already has."""
    query = select(ItemRow.key_hash).where(ItemRow.key_hash.in_(set(hashed)))
    return set(session.scalars(query))


def _assign_stories(
    session: Session, ids: Sequence[int], sketches: Sequence[tuple[int, ...]], now: datetime
) -> list[int]:
    """Store the story of each new item (decided by :func:`monitor.ingest.stories.assign_stories`
    among recent items sharing an anchor) and the new items' anchors; returns the story ids."""
    wanted = sorted({a for fingerprint in sketches for a in anchors(fingerprint)})
    stories = assign_stories(ids, sketches, _recent_candidates(session, wanted, now))
    session.execute(
        update(ItemRow), [{"id": i, "story_id": s} for i, s in zip(ids, stories, strict=True)]
    )
    links = [
        {"anchor": anchor, "item_id": item_id}
        for item_id, fingerprint in zip(ids, sketches, strict=True)
        for anchor in anchors(fingerprint)
    ]
    if links:
        session.execute(insert(ItemAnchorRow), links)
    return stories


def _recent_candidates(session: Session, wanted: Sequence[int], now: datetime) -> Candidates:
    """Per anchor in ``wanted``, the (story, sketch) of the recent items having it; one query
    per chunk of anchors."""
    candidates: Candidates = {}
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
    return candidates
