"""The counts behind ``monitor status`` and the dashboard: is the service keeping up?"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from monitor.store.base import StorageBase, storage_errors
from monitor.store.near_misses import WAITING
from monitor.store.tables import (
    AlertRow,
    EvidenceRow,
    ItemRow,
    NearMissRow,
    SourceRow,
    WatchlistRow,
)
from monitor.types import AlertStatus, ServiceStatus


@storage_errors
class StatusMixin(StorageBase):
    """Service status counts."""

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
                near_misses_waiting=count(select(func.count(NearMissRow.id)).where(WAITING)),
                watchlists_refused=tuple(
                    session.scalars(
                        select(WatchlistRow.sync_refused)
                        .where(WatchlistRow.sync_refused.is_not(None))
                        .where(WatchlistRow.active.is_(True))
                        .order_by(WatchlistRow.key)
                    )
                ),
            )
