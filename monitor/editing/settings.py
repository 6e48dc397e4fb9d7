"""What an editor sets on a watchlist itself (its sources and claims are edited apart), as the
settings form and the API's watchlist change carry it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import time
from typing import Any

from monitor.types import AlertPolicy, QuietHours, Watchlist
from monitor.watchlists import WatchlistSettingsSchema


@dataclass(frozen=True)
class WatchlistSettings:
    """What an editor sets on a watchlist itself (its sources and claims are edited apart)."""

    name: str
    slack_channel: str
    description: str = ""
    timezone: str = "UTC"
    digest_recipients: tuple[str, ...] = ()
    digest_send_at: time = time(7, 0)
    quiet_hours: QuietHours | None = None
    per_claim_per_hour: int = AlertPolicy.per_claim_per_hour
    per_channel_per_hour: int = AlertPolicy.per_channel_per_hour

    @classmethod
    def validated(cls, data: Mapping[str, Any]) -> WatchlistSettings:
        """The settings ``data`` gives (a form's, the API's), validated as the watchlist file
        validates them: pydantic's ``ValidationError``, each problem at its field, if not."""
        schema = WatchlistSettingsSchema.model_validate(data)
        quiet = schema.quiet_hours
        return cls(
            **schema.model_dump(exclude={"digest_recipients", "quiet_hours"}),
            digest_recipients=tuple(schema.digest_recipients),
            quiet_hours=QuietHours(quiet.start, quiet.end) if quiet else None,
        )

    def fields(self) -> dict[str, Any]:
        """These settings as :meth:`validated` reads them."""
        return asdict(self)

    @classmethod
    def of(cls, watchlist: Watchlist) -> WatchlistSettings:
        return cls(
            name=watchlist.name,
            slack_channel=watchlist.slack_channel,
            description=watchlist.description,
            timezone=watchlist.timezone,
            digest_recipients=watchlist.digest.recipients,
            digest_send_at=watchlist.digest.send_at,
            quiet_hours=watchlist.alerts.quiet_hours,
            per_claim_per_hour=watchlist.alerts.per_claim_per_hour,
            per_channel_per_hour=watchlist.alerts.per_channel_per_hour,
        )

    def apply(self, watchlist: Watchlist) -> Watchlist:
        """``watchlist`` with these settings (a digest that followed its time zone still does;
        alert routes and the digest's staleness are kept)."""
        digest = watchlist.digest
        zone = self.timezone if digest.timezone == watchlist.timezone else digest.timezone
        alerts = replace(
            watchlist.alerts,
            quiet_hours=self.quiet_hours,
            per_claim_per_hour=self.per_claim_per_hour,
            per_channel_per_hour=self.per_channel_per_hour,
        )
        return replace(
            watchlist,
            name=self.name,
            slack_channel=self.slack_channel,
            description=self.description,
            timezone=self.timezone,
            digest=replace(
                digest,
                recipients=self.digest_recipients,
                send_at=self.digest_send_at,
                timezone=zone,
            ),
            alerts=alerts,
        )
