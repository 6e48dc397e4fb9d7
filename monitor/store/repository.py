"""Repository: every query monitor makes, speaking domain types in and out.

Each public method is one transaction. Evidence and the alerts it causes are written together,
so an alert is never lost between judging and delivery (the outbox pattern). The queries live
per domain, one mixin a module (the way lemon24/reader composes its storage):

    Repository ── WatchlistsMixin  watchlists.py  files synced in, claims, stored watchlists
               ├─ SourcesMixin     sources.py     polling state, leases, WebSub
               ├─ ItemsMixin       items.py       new items, stories, judging leases
               ├─ EvidenceMixin    evidence.py    judgements (+ their alerts), the archive's finds
               ├─ NearMissesMixin  near_misses.py candidates just under the bar, editors' reviews
               ├─ OutboxMixin      outbox.py      alerts to deliver, threads, mutes, feedback
               ├─ AccountsMixin    accounts.py    users, API tokens, the audit log
               ├─ DigestsMixin     digests.py     daily digests, each period once
               ├─ StatusMixin      status.py      the counts behind `monitor status`
               └─ StorageBase      base.py        sessions, the write lock, StorageError

Rows become domain types in ``mapping.py`` only.
"""

from __future__ import annotations

from monitor.store.accounts import AccountsMixin
from monitor.store.base import StorageBase, sha256_key
from monitor.store.digests import DigestsMixin
from monitor.store.evidence import EvidenceMixin
from monitor.store.items import ItemsMixin
from monitor.store.near_misses import NearMissesMixin
from monitor.store.outbox import OutboxMixin
from monitor.store.sources import SourcesMixin
from monitor.store.status import StatusMixin
from monitor.store.watchlists import SyncSummary, WatchlistsMixin


class Repository(
    WatchlistsMixin,
    SourcesMixin,
    ItemsMixin,
    EvidenceMixin,
    NearMissesMixin,
    OutboxMixin,
    AccountsMixin,
    DigestsMixin,
    StatusMixin,
    StorageBase,
):
    """Domain-level access to the database (errors surface as StorageError)."""


__all__ = ["Repository", "SyncSummary", "sha256_key"]
