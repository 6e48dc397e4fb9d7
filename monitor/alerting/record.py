"""Does new evidence raise an alert, and where: the half of the alert decision taken when
evidence is recorded. Pure.

The pipeline and the feedback handler ask; storage writes the answers down.

- **Threshold with feedback.** A claim matches above its own threshold (else its watchlist's),
  moved by editors' feedback: each "not relevant" raises it a step, each "relevant" lowers it,
  within bounds (:func:`effective_threshold`, :func:`moved_adjustment`); an editor accepting
  a near miss counts as a "relevant" (:func:`accepted_adjustment`); a near miss nobody
  reviews stops waiting after ``MONITOR_NEAR_MISS_DAYS`` (:func:`near_miss_expiry`).
- **Feedback similarity.** Evidence whose passage is this close to one editors marked not
  relevant for the claim is kept without an alert (:func:`like_rejected`).
- **Story duplicates.** Another outlet's copy of a story that already gave the claim evidence
  of the same stance raises no second alert.
- **Routing.** An alert goes to the watchlist's channel and to the routes of its stance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.types import AlertPolicy, Evidence, FeedbackKind

# An item this close (cosine) to one editors marked not relevant for a claim raises no alert.
REJECTED_SIMILARITY = 0.85
# How far one piece of feedback moves a claim's threshold, and how far feedback may move it.
THRESHOLD_STEP = {FeedbackKind.NOT_RELEVANT: 0.02, FeedbackKind.RELEVANT: -0.01}
FEEDBACK_BOUNDS = (-0.1, 0.15)
MAX_THRESHOLD = 0.99  # a threshold feedback cannot push beyond: the claim still matches


def effective_threshold(own: float | None, watchlist: float, feedback: float) -> float:
    """The score a claim's matches must reach: its own threshold (else its watchlist's) moved
    by editors' feedback, kept between 0 and :data:`MAX_THRESHOLD`."""
    base = own if own is not None else watchlist
    return min(MAX_THRESHOLD, max(0.0, base + feedback))


def moved_adjustment(current: float, kind: FeedbackKind) -> float:
    """A claim's feedback adjustment after one more piece of feedback of ``kind``."""
    low, high = FEEDBACK_BOUNDS
    return round(min(high, max(low, current + THRESHOLD_STEP.get(kind, 0.0))), 4)


def accepted_adjustment(current: float) -> float:
    """A claim's feedback adjustment after an editor accepts one of its near misses: it counts
    as a "relevant" (the bar was a little too high for this claim)."""
    return moved_adjustment(current, FeedbackKind.RELEVANT)


def near_miss_expiry(now: datetime, days: int) -> datetime | None:
    """When a near miss nobody reviewed stops waiting: one kept before the returned moment is
    old news, no longer listed for review. ``days`` 0 keeps them until reviewed (None)."""
    return now - timedelta(days=days) if days > 0 else None


def like_rejected(closest: float) -> bool:
    """Whether a passage whose closest similarity to a quote marked not relevant is
    ``closest`` is too like it to alert."""
    return closest >= REJECTED_SIMILARITY


@dataclass(frozen=True)
class AlertDecision:
    """The channels a piece of evidence alerts (none: recorded quietly), and why not."""

    channels: tuple[str, ...] = ()
    reason: str = ""


def decide_alert(
    evidence: Evidence, *, story_has_it: bool, channel: str, policy: AlertPolicy
) -> AlertDecision:
    """Where new ``evidence`` alerts. ``story_has_it``: another item of its story already gave
    the claim evidence of this stance; ``channel`` and ``policy``: its watchlist's."""
    if not evidence.alert:
        return AlertDecision(reason="recorded without an alert (old news, or like a rejected one)")
    if story_has_it:
        return AlertDecision(reason="another outlet's copy of the story already alerted")
    return AlertDecision(policy.channels(channel, evidence.stance))
