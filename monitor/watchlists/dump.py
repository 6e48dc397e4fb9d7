"""Watchlists written as YAML: a whole new file (:func:`dump_watchlist`), or the entries an edit
puts into an existing one (:func:`dump_claim`, :func:`dump_source`; see
:mod:`monitor.editing.files`). What is written reads back to the same watchlist."""

from __future__ import annotations

from typing import Any

import yaml

from monitor.types import (
    AlertPolicy,
    ClaimSpec,
    DigestSpec,
    SourceKind,
    SourceSpec,
    Verdict,
    Watchlist,
)
from monitor.watchlists.schema import format_duration


def dump_watchlist(watchlist: Watchlist, default_threshold: float | None = None) -> str:
    """A watchlist as YAML that :func:`parse_watchlist` reads back to the same watchlist
    (comments of the file it came from are not kept)."""
    data: dict[str, Any] = {"name": watchlist.name}
    if watchlist.description:
        data["description"] = watchlist.description
    data["slack_channel"] = watchlist.slack_channel
    if watchlist.timezone != "UTC":
        data["timezone"] = watchlist.timezone
    digest = watchlist.digest
    if digest != DigestSpec(timezone=watchlist.timezone):
        data["digest"] = {
            "recipients": list(digest.recipients),
            "send_at": digest.send_at.strftime("%H:%M"),
        }
        if digest.timezone != watchlist.timezone:
            data["digest"]["timezone"] = digest.timezone
        if digest.stale_after_days != DigestSpec.stale_after_days:
            data["digest"]["stale_after_days"] = digest.stale_after_days
    if watchlist.alerts != AlertPolicy():
        data["alerts"] = _dump_alerts(watchlist.alerts)
    if watchlist.threshold != default_threshold:
        data["defaults"] = {"threshold": watchlist.threshold}
    if watchlist.managed_in_git:
        data["managed_in_git"] = True
    data["sources"] = [dump_source(source) for source in watchlist.sources]
    data["claims"] = [dump_claim(claim) for claim in watchlist.claims]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _dump_alerts(policy: AlertPolicy) -> dict[str, Any]:
    default = AlertPolicy()
    data: dict[str, Any] = {}
    if policy.routes:
        data["routes"] = {stance.value: list(channels) for stance, channels in policy.routes}
    if policy.quiet_hours is not None:
        data["quiet_hours"] = {
            "start": policy.quiet_hours.start.strftime("%H:%M"),
            "end": policy.quiet_hours.end.strftime("%H:%M"),
        }
    if policy.per_claim_per_hour != default.per_claim_per_hour:
        data["per_claim_per_hour"] = policy.per_claim_per_hour
    if policy.per_channel_per_hour != default.per_channel_per_hour:
        data["per_channel_per_hour"] = policy.per_channel_per_hour
    return data


def dump_source(source: SourceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": source.name, "url": source.url}
    if source.kind is not SourceKind.FEED:
        data["kind"] = source.kind.value
    data["poll_interval"] = format_duration(source.poll_interval)
    for name in ("min_poll_interval", "max_poll_interval"):
        if (bound := getattr(source, name)) is not None:
            data[name] = format_duration(bound)
    if source.selector:
        data["selector"] = source.selector
    if source.full_text:
        data["full_text"] = True
    return data


def dump_claim(claim: ClaimSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": claim.key, "text": claim.text}
    if claim.paraphrases:
        data["paraphrases"] = list(claim.paraphrases)
    if claim.threshold is not None:
        data["threshold"] = claim.threshold
    if claim.verdict is not Verdict.UNVERIFIED:
        data["verdict"] = claim.verdict.value
    if claim.notes:
        data["notes"] = claim.notes
    return data
