"""Does evidence raise an alert, where, and when does it go out: the one home of that decision.
Pure: no storage, network or clock; ``now`` and the facts are arguments.

The decision has two halves, one per moment it can be taken:

- :mod:`~monitor.alerting.record`, when evidence is recorded (the pipeline asks, storage writes
  the alerts in the same transaction): the claim's threshold moved by editors' feedback, items
  like ones marked not relevant, story duplicates, routing by stance.
- :mod:`~monitor.alerting.delivery`, when the outbox runs (mutes, quiet hours and hourly limits
  depend on the moment of sending): which due alerts go now, alone or in a summary, which wait,
  which are never sent, and the Slack thread of each.
"""

from monitor.alerting.delivery import DeliveryPlan, muted_by, plan_delivery, thread_day
from monitor.alerting.record import (
    FEEDBACK_BOUNDS,
    MAX_THRESHOLD,
    REJECTED_SIMILARITY,
    THRESHOLD_STEP,
    AlertDecision,
    accepted_adjustment,
    decide_alert,
    effective_threshold,
    like_rejected,
    moved_adjustment,
    near_miss_expiry,
)

__all__ = [
    "FEEDBACK_BOUNDS",
    "MAX_THRESHOLD",
    "REJECTED_SIMILARITY",
    "THRESHOLD_STEP",
    "AlertDecision",
    "DeliveryPlan",
    "accepted_adjustment",
    "decide_alert",
    "effective_threshold",
    "like_rejected",
    "moved_adjustment",
    "muted_by",
    "near_miss_expiry",
    "plan_delivery",
    "thread_day",
]
