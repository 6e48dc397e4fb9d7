"""The long-running service: APScheduler 3 jobs that poll, judge, deliver and reload.

One job per source polls it when it is due: its adapted interval, a failing source's backoff or
a server's Retry-After decide when that is. After each run the job is moved to the source's next
poll time (plus a second or two of jitter), so a source is polled at its interval, not at the
next tick of a coarser clock; between runs it also wakes at the shortest interval the source
may adapt to, as a safety net. Disabled sources are skipped. New items wake the
judge job at once, which matches them and delivers the alerts. Watchlist files are re-read
when they change (where ``MONITOR_WATCHLIST_SYNC`` is on), and sources are rescheduled when
the database's watchlists change.

Several workers may share one PostgreSQL database: a worker leases a source while it polls it
(and a batch of items while it judges them), so each due source is polled once per interval,
and the sources of a worker that dies go to the others when its leases end.
"""

from __future__ import annotations

import contextlib
import logging
import random
from datetime import datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from monitor.app import Service
from monitor.errors import MonitorError
from monitor.ingest.policy import source_bounds
from monitor.pipeline import default_worker
from monitor.types import Source

log = logging.getLogger(__name__)
JUDGE_JOB = "judge"
DELIVER_JOB = "deliver"
RELOAD_JOB = "reload-watchlists"
WEBSUB_JOB = "renew-websub"
DIGEST_JOB = "digests"
SWEEP_JOB = "sweep"
EXPIRE_JOB = "expire-near-misses"
EXPIRE_EVERY = timedelta(hours=1)
# How often overdue sources (a dead worker's, once its lease ends) are woken up.
SWEEP_EVERY = timedelta(seconds=15)
WEBSUB_EVERY = timedelta(hours=1)
RELOAD_EVERY = timedelta(seconds=30)
# A source woken slightly before its next poll time still counts as due.
DUE_SLACK = timedelta(seconds=5)


def jitter_for(interval: timedelta) -> int:
    """Seconds of random jitter for a source's job: 10% of its interval, at most a minute."""
    return max(1, min(60, int(interval.total_seconds() * 0.1)))


def follow_jitter(interval: timedelta) -> float:
    """Random seconds after a source's next poll time at which its job runs: enough to spread
    sources that came due together (2% of the interval), at most 2 s, so that an alert's wait
    stays close to the poll interval."""
    return random.uniform(0, min(2.0, interval.total_seconds() * 0.02))


class MonitorScheduler:
    """Schedules the service's work on an APScheduler 3 scheduler."""

    def __init__(
        self, service: Service, scheduler_class: type[BaseScheduler] = BlockingScheduler
    ) -> None:
        self.service = service
        self.scheduler = scheduler_class(
            executors={
                "default": ThreadPoolExecutor(service.settings.fetch_concurrency),
                "judge": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone="UTC",
        )
        self._sources_plan: tuple[tuple[object, ...], ...] = ()
        self.worker_id = service.settings.worker_name or default_worker()
        self.digests = service.digests

    def start(self) -> None:
        """Load watchlists, schedule every job and run (blocks for a BlockingScheduler)."""
        self.reload_watchlists(force=True)
        self.service.pipeline.reclaim_judge_leases()
        settings = self.service.settings
        self.scheduler.add_job(
            self.judge,
            IntervalTrigger(seconds=30),
            id=JUDGE_JOB,
            executor="judge",
            next_run_time=self.service.clock(),
        )
        self.scheduler.add_job(
            self.deliver,
            IntervalTrigger(seconds=settings.deliver_interval),
            id=DELIVER_JOB,
            executor="judge",
        )
        self.scheduler.add_job(
            self.sweep,
            IntervalTrigger(seconds=SWEEP_EVERY.total_seconds()),
            id=SWEEP_JOB,
        )
        self.scheduler.add_job(
            self.reload_watchlists,
            IntervalTrigger(seconds=RELOAD_EVERY.total_seconds()),
            id=RELOAD_JOB,
        )
        self.scheduler.add_job(
            self.send_digests,
            IntervalTrigger(seconds=settings.digest_interval),
            id=DIGEST_JOB,
            next_run_time=self.service.clock(),
        )
        self.scheduler.add_job(
            self.expire_near_misses,
            IntervalTrigger(seconds=EXPIRE_EVERY.total_seconds()),
            id=EXPIRE_JOB,
            next_run_time=self.service.clock(),
        )
        if self.service.websub is not None:
            self.scheduler.add_job(
                self.renew_websub,
                IntervalTrigger(seconds=WEBSUB_EVERY.total_seconds()),
                id=WEBSUB_JOB,
            )
        log.info("scheduler started with %d jobs", len(self.scheduler.get_jobs()))
        self.scheduler.start()

    def shutdown(self) -> None:
        # Not wait=True: APScheduler 3 would hold its job-store lock while waiting for running
        # jobs, and a poll job that wakes the judge needs that lock. Running jobs still finish:
        # their threads are joined when the process exits.
        self.scheduler.shutdown(wait=False)

    # --- jobs ---------------------------------------------------------------------------

    def poll(self, source_id: int) -> None:
        """Poll one source if it is due and no other worker has it; wake the judge when it
        brought new items."""
        now = self.service.clock()
        lease = timedelta(seconds=self.service.settings.lease)
        source = self.service.repository.lease_source(
            source_id, self.worker_id, now, now + lease, due_by=now + DUE_SLACK
        )
        if source is None:  # not due, disabled, or being polled by another worker
            self.follow(source_id, after=now + DUE_SLACK)
            return
        outcome = self.service.pipeline.poll(source)
        if outcome.new_items:
            self.wake_judge()
        self.follow(source_id)

    def follow(self, source_id: int, after: datetime | None = None) -> None:
        """Move a source's job to its next poll time, wherever polling (here or in another
        worker), backoff or Retry-After put it; only if that is later than ``after`` (a source
        still due is being polled elsewhere: the job keeps its own schedule and the sweep)."""
        source = self.service.repository.find_source(source_id)
        if source is None or not source.enabled or source.next_poll_at is None:
            return
        if after is not None and source.next_poll_at <= after:
            return
        jitter = timedelta(seconds=follow_jitter(source.current_interval))
        when = max(source.next_poll_at, self.service.clock()) + jitter
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            self.scheduler.modify_job(f"source:{source_id}", next_run_time=when)

    def sweep(self) -> None:
        """Wake the jobs of overdue sources now: those a dead worker held (once their lease
        ends) are polled within seconds instead of at their job's next turn."""
        overdue = self.service.repository.sources(due_at=self.service.clock() - SWEEP_EVERY)
        for source in overdue:
            with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
                self.scheduler.modify_job(f"source:{source.id}", next_run_time=self.service.clock())

    def wake_judge(self) -> None:
        """Run the judge job now (new items arrived by poll or WebSub push)."""
        # Shutting down, or not started yet: the judge runs on its own schedule then.
        with contextlib.suppress(JobLookupError, SchedulerNotRunningError):
            self.scheduler.modify_job(JUDGE_JOB, next_run_time=self.service.clock())

    def send_digests(self) -> None:
        """Send the daily digests due now (each watchlist's failure stays its own)."""
        try:
            report = self.digests.send_due()
        except MonitorError as err:  # the database, before any watchlist was tried
            log.error("digests not sent: %s", err)
            return
        if report.sent or report.retrying or report.failed:
            log.info(
                "digests sent: %d, waiting for the mail server: %d, failed: %d",
                len(report.sent),
                len(report.retrying),
                len(report.failed),
            )

    def expire_near_misses(self) -> None:
        """Forget the near misses nobody reviewed in time (``MONITOR_NEAR_MISS_DAYS``)."""
        try:
            gone = self.service.expire_near_misses()
        except MonitorError as err:
            log.error("near misses not expired: %s", err)
            return
        if gone:
            days = self.service.settings.near_miss_days
            log.info("near misses nobody reviewed in %d days, forgotten: %d", days, gone)

    def renew_websub(self) -> None:
        """Renew WebSub subscriptions whose lease ends within a day."""
        websub = self.service.websub
        if websub is not None and (renewed := websub.renew_due()):
            log.info("WebSub subscriptions renewed: %d", renewed)

    def judge(self) -> None:
        queued = self.service.pipeline.judge_pending()
        if queued:
            log.info("%d new alerts queued", queued)
        self.deliver()

    def deliver(self) -> None:
        report = self.service.pipeline.deliver()
        if report.sent or report.failed:
            log.info("alerts sent: %d, failed: %d", len(report.sent), len(report.failed))

    def reload_watchlists(self, force: bool = False) -> None:
        """Re-read the watchlist files if any changed (unless ``MONITOR_WATCHLIST_SYNC`` is off:
        then the database alone says what to watch), and reschedule the sources when what the
        database says changed (an edit in the web UI reaches every worker this way)."""
        synced = self.service.sync_if_changed(force=force)
        sources = self.service.repository.sources()
        plan = tuple(
            (s.id, s.poll_interval, s.min_poll_interval, s.max_poll_interval) for s in sources
        )
        if force or synced or plan != self._sources_plan:
            self._sources_plan = plan
            self.schedule_sources(sources)

    def schedule_sources(self, sources: list[Source]) -> None:
        """One job per source; jobs of sources no longer watched are removed."""
        wanted = {f"source:{s.id}": s for s in sources}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("source:") and job.id not in wanted:
                job.remove()
        now = self.service.clock()
        for job_id, source in wanted.items():
            first = max(now, source.next_poll_at) if source.next_poll_at else now
            wake, _ = source_bounds(source)
            self.scheduler.add_job(
                self.poll,
                IntervalTrigger(seconds=wake.total_seconds(), jitter=jitter_for(wake)),
                args=[source.id],
                id=job_id,
                name=f"poll {source.name}",
                replace_existing=True,
                next_run_time=first,
            )
