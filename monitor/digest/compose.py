"""What a daily digest says, decided from plain data (pure: the clock is passed in).

Per claim: the evidence stored since the last digest, counted by stance, with the best quotes
and the outlets that carried it; claims with no evidence for a while (stale); claims with near
misses waiting for editors' review; sources failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from monitor.ingest.urls import http_url
from monitor.types import Claim, EvidenceRecord, ReportedStance, Source, Stance, Verdict

QUOTES_PER_CLAIM = 3
QUOTE_LIMIT = 400  # characters of a quote shown in the email
WAITING_SHOWN = 10  # claims with near misses named in the email; the rest are counted
# Contradictions first: a denial is what a desk most needs to see.
_STANCE_ORDER = {Stance.CONTRADICTS: 0, Stance.SUPPORTS: 1, Stance.MENTIONS: 2}


@dataclass(frozen=True)
class Quote:
    """One piece of evidence as the digest shows it."""

    text: str
    stance: Stance
    outlet: str
    title: str
    url: str | None  # None when the item's link is not http(s)
    published_at: datetime | None
    score: float
    holder: str = ""  # who holds the stance (monitor.judge.attribution)
    reported: tuple[ReportedStance, ...] = ()  # positions the item reports besides its news
    corrected_by: str = ""  # the editor who set the stance ("": it is the model's)


@dataclass(frozen=True)
class ClaimChange:
    """What changed for one claim since the last digest."""

    key: str
    text: str
    verdict: Verdict
    supports: int
    contradicts: int
    mentions: int
    quotes: tuple[Quote, ...]
    outlets: tuple[str, ...]


@dataclass(frozen=True)
class StaleClaim:
    """A claim with no new evidence for at least the watchlist's ``stale_after_days``."""

    key: str
    text: str
    last_evidence_at: datetime | None  # None: never any evidence


@dataclass(frozen=True)
class WaitingClaim:
    """A claim with near misses nobody has reviewed: items just under its bar, not alerted."""

    key: str
    text: str
    near_misses: int


@dataclass(frozen=True)
class FailedSource:
    """A source whose last fetch failed, or that was disabled after failing."""

    name: str
    url: str | None
    error: str
    failing_since: datetime | None
    disabled: bool


@dataclass(frozen=True)
class Digest:
    """One watchlist's digest for one period (its local date)."""

    watchlist_key: str
    watchlist_name: str
    period: date
    since: datetime
    until: datetime
    timezone: str
    changes: tuple[ClaimChange, ...]
    stale: tuple[StaleClaim, ...]
    failed_sources: tuple[FailedSource, ...]
    quiet_claims: int  # claims with no new evidence (stale or not)
    waiting: tuple[WaitingClaim, ...] = ()  # claims with near misses to review, the most first
    waiting_more: int = 0  # more claims with near misses than the email names

    @property
    def supports(self) -> int:
        return sum(c.supports for c in self.changes)

    @property
    def contradicts(self) -> int:
        return sum(c.contradicts for c in self.changes)

    @property
    def subject(self) -> str:
        """The email's subject: the watchlist, the date and what is new."""
        if self.changes:
            news = f"{self.supports} supporting, {self.contradicts} contradicting"
            mentions = sum(c.mentions for c in self.changes)
            if mentions:
                news += f", {mentions} mentions"
        else:
            news = "no new evidence"
        name = " ".join(self.watchlist_name.split())[:200]  # a header is one line
        return f"{name} — digest {self.period.isoformat()}: {news}"


def compose_digest(
    *,
    watchlist_key: str,
    watchlist_name: str,
    period: date,
    since: datetime,
    until: datetime,
    timezone: str,
    claims: Sequence[Claim],
    evidence: Sequence[EvidenceRecord],
    last_evidence_at: Mapping[int, datetime],
    sources: Sequence[Source],
    stale_after: timedelta,
    near_misses: Mapping[int, int] | None = None,
) -> Digest:
    """The digest of evidence stored in [``since``, ``until``) for ``claims``; ``near_misses``
    counts each claim's near misses waiting for review."""
    by_claim: dict[int, list[EvidenceRecord]] = {}
    for record in evidence:
        if record.evidence.stance is not Stance.UNRELATED:
            by_claim.setdefault(record.evidence.claim_id, []).append(record)
    changes = tuple(_change(c, by_claim[c.id]) for c in claims if c.id in by_claim)
    waiting = waiting_claims(claims, near_misses or {})
    return Digest(
        watchlist_key=watchlist_key,
        watchlist_name=watchlist_name,
        period=period,
        since=since,
        until=until,
        timezone=timezone,
        changes=changes,
        stale=stale_claims(claims, by_claim, last_evidence_at, until, stale_after),
        failed_sources=failed_sources(sources),
        quiet_claims=len(claims) - len(changes),
        waiting=waiting[:WAITING_SHOWN],
        waiting_more=max(0, len(waiting) - WAITING_SHOWN),
    )


def waiting_claims(
    claims: Sequence[Claim], near_misses: Mapping[int, int]
) -> tuple[WaitingClaim, ...]:
    """Claims with near misses to review, the most first."""
    waiting = [
        WaitingClaim(claim.key, claim.text, near_misses[claim.id])
        for claim in claims
        if near_misses.get(claim.id, 0) > 0
    ]
    return tuple(sorted(waiting, key=lambda w: -w.near_misses))


def _change(claim: Claim, records: Sequence[EvidenceRecord]) -> ClaimChange:
    counts = {stance: 0 for stance in _STANCE_ORDER}
    for record in records:
        counts[record.evidence.stance] += 1
    return ClaimChange(
        key=claim.key,
        text=claim.text,
        verdict=claim.spec.verdict,
        supports=counts[Stance.SUPPORTS],
        contradicts=counts[Stance.CONTRADICTS],
        mentions=counts[Stance.MENTIONS],
        quotes=best_quotes(records),
        outlets=tuple(dict.fromkeys(r.source_name for r in records)),
    )


def best_quotes(
    records: Sequence[EvidenceRecord], limit: int = QUOTES_PER_CLAIM
) -> tuple[Quote, ...]:
    """Up to ``limit`` quotes: contradictions, then support, then mentions; the strongest
    first within each; one quote per text (wire copies repeat it)."""

    def rank(record: EvidenceRecord) -> tuple[int, float, int]:
        found = record.evidence
        return (_STANCE_ORDER[found.stance], -found.score * found.stance_confidence, record.id)

    chosen: list[Quote] = []
    seen: set[str] = set()
    for record in sorted(records, key=rank):
        text = " ".join(record.evidence.quote.split())
        if text.casefold() in seen:
            continue
        seen.add(text.casefold())
        chosen.append(_quote(record, text))
        if len(chosen) == limit:
            break
    return tuple(chosen)


def _quote(record: EvidenceRecord, text: str) -> Quote:
    if len(text) > QUOTE_LIMIT:
        text = text[: QUOTE_LIMIT - 1].rstrip() + "…"
    return Quote(
        text=text,
        stance=record.evidence.stance,
        outlet=record.source_name,
        title=record.item_title,
        url=http_url(record.item_url),
        published_at=record.published_at,
        score=record.evidence.score,
        holder=record.evidence.holder,
        reported=tuple(
            ReportedStance(r.stance, r.holder, _clipped(" ".join(r.quote.split())))
            for r in record.evidence.reported
        ),
        corrected_by=record.evidence.corrected_by,
    )


def _clipped(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def stale_claims(
    claims: Sequence[Claim],
    fresh: Mapping[int, Sequence[EvidenceRecord]],
    last_evidence_at: Mapping[int, datetime],
    now: datetime,
    stale_after: timedelta,
) -> tuple[StaleClaim, ...]:
    """Claims without new evidence whose newest evidence is older than ``stale_after`` (or
    that never had any); the longest quiet first."""
    stale = [
        StaleClaim(claim.key, claim.text, last_evidence_at.get(claim.id))
        for claim in claims
        if claim.id not in fresh
        and (claim.id not in last_evidence_at or now - last_evidence_at[claim.id] >= stale_after)
    ]
    return tuple(sorted(stale, key=lambda s: (s.last_evidence_at is not None, s.last_evidence_at)))


def failed_sources(sources: Sequence[Source]) -> tuple[FailedSource, ...]:
    """Sources that are disabled or whose last fetch failed."""
    return tuple(
        FailedSource(
            name=source.name,
            url=http_url(source.url),
            error=source.disabled_reason or source.last_error or "disabled",
            failing_since=source.failing_since,
            disabled=not source.enabled,
        )
        for source in sources
        if not source.enabled or source.last_error
    )
