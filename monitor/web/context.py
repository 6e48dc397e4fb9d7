"""What every part of the web front end works with: the services (:class:`WebContext`) and the
"found or 404" rule. Pages and the API import it from here, not from the app that mounts
them, so there is no import circle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from fastapi import HTTPException, Request

from monitor.alerting import accepted_adjustment
from monitor.editing import Editor
from monitor.notify.feedback import FeedbackHandler
from monitor.store import Repository
from monitor.types import NearMissRecord, Review
from monitor.web.metrics import MetricsAccess
from monitor.web.throttle import LoginThrottle

T = TypeVar("T")


@dataclass
class WebContext:
    """What the web front end works with (the same services as the CLI)."""

    repository: Repository
    editor: Editor
    clock: Callable[[], datetime]
    secret_key: str
    default_threshold: float = 0.6
    session_lifetime: timedelta = timedelta(hours=12)
    secure_cookies: bool = True
    max_push_bytes: int = 10_000_000
    on_new_items: Callable[[], None] = field(default=lambda: None)
    # Slack's feedback buttons; None without a signing secret (then no buttons are shown).
    feedback: FeedbackHandler | None = None
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    metrics_access: MetricsAccess = field(default_factory=MetricsAccess)

    def review_near_miss(self, near_miss_id: int, review: Review, editor: str) -> NearMissRecord:
        """An editor's review of a near miss, for the claim page and the API alike: accepted,
        it counts as a "relevant" and lowers its claim's bar a step (:mod:`monitor.alerting`
        decides by how much; storage records it). Raises NotFoundError for an unknown id."""
        return self.repository.review_near_miss(
            near_miss_id, review, editor, self.clock(), adjust=accepted_adjustment
        )


def found(value: T | None, what: str) -> T:
    """``value``, or a 404 naming what was not found (``no such claim``)."""
    if value is None:
        raise HTTPException(404, f"no such {what}")
    return value


def web(request: Request) -> WebContext:
    """The context the app was built with."""
    context: WebContext = request.app.state.web
    return context
