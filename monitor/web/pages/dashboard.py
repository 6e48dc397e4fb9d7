"""The dashboard: every claim with its latest evidence, a chart of supporting and
contradicting evidence per day and the near misses waiting for review; stale claims, failing
sources."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request
from fastapi.responses import HTMLResponse

from monitor.types import Claim, EvidenceRecord, Stance
from monitor.web.auth import PageViewer
from monitor.web.context import web
from monitor.web.pages.common import page_router
from monitor.web.templating import render

router = page_router()
CHART_DAYS = 14
STALE_AFTER = timedelta(days=14)
BAR_WIDTH, CHART_HEIGHT = 6, 28


@dataclass(frozen=True)
class Bar:
    """One day of a claim's chart: supporting bar up from the middle, contradicting down."""

    x: int
    supports: int
    contradicts: int
    up: float
    down: float
    day: str


@dataclass(frozen=True)
class ClaimRow:
    claim: Claim
    latest: EvidenceRecord | None
    bars: list[Bar]
    supports: int
    contradicts: int
    stale: bool
    near_misses: int  # waiting for an editor's review


def chart(moments: list[tuple[datetime, Stance]], now: datetime) -> list[Bar]:
    """Per-day bars for the last CHART_DAYS days, oldest first, scaled to the busiest day."""
    today = now.date()
    counts = [[0, 0] for _ in range(CHART_DAYS)]
    for moment, stance in moments:
        day = CHART_DAYS - 1 - (today - moment.date()).days
        if 0 <= day < CHART_DAYS and stance in (Stance.SUPPORTS, Stance.CONTRADICTS):
            counts[day][stance is Stance.CONTRADICTS] += 1
    peak = max([1] + [max(c) for c in counts])
    half = CHART_HEIGHT / 2
    return [
        Bar(
            x=index * (BAR_WIDTH + 2),
            supports=s,
            contradicts=c,
            up=round(half * s / peak, 1),
            down=round(half * c / peak, 1),
            day=(today - timedelta(days=CHART_DAYS - 1 - index)).isoformat(),
        )
        for index, (s, c) in enumerate(counts)
    ]


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, user: PageViewer) -> HTMLResponse:
    context = web(request)
    repository = context.repository
    now = context.clock()
    latest = repository.latest_evidence()
    moments = repository.stance_counts(now - timedelta(days=CHART_DAYS))
    waiting = repository.open_near_miss_counts()
    rows = []
    for claim in repository.claims():
        record = latest.get(claim.id)
        bars = chart(moments.get(claim.id, []), now)
        stale = record is None or record.created_at < now - STALE_AFTER
        rows.append(
            ClaimRow(
                claim,
                record,
                bars,
                sum(b.supports for b in bars),
                sum(b.contradicts for b in bars),
                stale,
                waiting.get(claim.id, 0),
            )
        )
    sources = repository.sources(include_disabled=True)
    failing = [s for s in sources if not s.enabled or s.last_error]
    return render(
        request,
        "dashboard.html",
        {
            "user": user,
            "rows": rows,
            "stale": [r for r in rows if r.stale],
            "failing": failing,
            "watchlists": repository.watchlist_keys(),
            "chart_width": CHART_DAYS * (BAR_WIDTH + 2),
            "chart_height": CHART_HEIGHT,
            "bar_width": BAR_WIDTH,
            "stale_days": STALE_AFTER.days,
        },
    )
