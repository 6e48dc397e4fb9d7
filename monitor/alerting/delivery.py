"""Which recorded alerts go out now, and how: alone, in a summary, or not at all: the half of
the alert decision taken at delivery, because it depends on the moment of sending. Pure.

The outbox asks; storage writes the answers down. The rules against alert fatigue live here:
mutes, quiet hours (alerts wait, then one catch-up message per channel), and per-claim and
per-channel limits per hour (beyond them, evidence is batched into one summary message). A
contradiction is never batched by the per-claim limit. Threads are one per claim per day.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.types import Alert, Mute, MuteTarget, QuietHours, Stance


@dataclass
class DeliveryPlan:
    """What one delivery run does with the alerts that are due."""

    single: list[Alert] = field(default_factory=list)  # each in its own message
    summaries: dict[str, list[Alert]] = field(default_factory=dict)  # per channel: over limits
    catch_up: dict[str, list[Alert]] = field(default_factory=dict)  # per channel: quiet hours
    held: list[Alert] = field(default_factory=list)  # quiet hours now: they wait
    muted: list[tuple[Alert, str]] = field(default_factory=list)


def plan_delivery(
    alerts: Sequence[Alert],
    now: datetime,
    mutes: Sequence[Mute] = (),
    sent_per_channel: Counter[str] | None = None,
    sent_per_claim: Counter[tuple[str, int]] | None = None,
) -> DeliveryPlan:
    """Sort due alerts (oldest first) by what happens to them now.

    ``sent_per_channel`` and ``sent_per_claim`` count the messages posted in the last hour.
    """
    plan = DeliveryPlan()
    per_channel = Counter(sent_per_channel or {})
    per_claim = Counter(sent_per_claim or {})
    catch_up: dict[str, list[Alert]] = {}
    for alert in alerts:
        if reason := muted_by(alert, mutes):
            plan.muted.append((alert, reason))
            continue
        quiet = alert.policy.quiet_hours
        zone = ZoneInfo(alert.timezone)
        if quiet and now.astimezone(zone).time() in quiet:
            plan.held.append(alert)
            continue
        if quiet and _waited_through(alert.created_at, quiet, zone, now):
            catch_up.setdefault(alert.channel, []).append(alert)
            continue
        key = (alert.channel, alert.claim_id)
        within = (
            per_claim[key] < alert.policy.per_claim_per_hour
            and per_channel[alert.channel] < alert.policy.per_channel_per_hour
        )
        if within or alert.stance is Stance.CONTRADICTS:
            plan.single.append(alert)
            per_claim[key] += 1
            per_channel[alert.channel] += 1
        else:
            plan.summaries.setdefault(alert.channel, []).append(alert)
    for channel, waited in catch_up.items():
        if len(waited) == 1:
            plan.single.extend(waited)
        else:
            plan.catch_up[channel] = waited
    return plan


def muted_by(alert: Alert, mutes: Sequence[Mute]) -> str | None:
    """Why ``alert`` must not be sent (a mute of its story, source or claim), if it must not."""
    targets = {
        MuteTarget.STORY: alert.story_id,
        MuteTarget.SOURCE: alert.source_id,
        MuteTarget.CLAIM: alert.claim_id,
    }
    for mute in mutes:
        if targets[mute.target] == mute.target_id:
            until = mute.until.strftime("%Y-%m-%d %H:%M UTC")
            return f"{mute.target.value} muted until {until}" + (
                f": {mute.reason}" if mute.reason else ""
            )
    return None


def _waited_through(created: datetime, quiet: QuietHours, zone: ZoneInfo, now: datetime) -> bool:
    """Whether ``created`` falls in the last quiet window that ended before ``now``."""
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), quiet.end, zone)
    if end > local:
        end -= timedelta(days=1)
    start = datetime.combine(end.date(), quiet.start, zone)
    if start >= end:
        start -= timedelta(days=1)
    return start <= created.astimezone(zone) < end


def thread_day(moment: datetime, timezone: str) -> str:
    """The watchlist's local date: threads are one per claim per day."""
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()
