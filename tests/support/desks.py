"""A desk for the delivery tests: a watchlist in a real SQLite file, a clock, a local Slack
server, and a way to produce evidence for its claims."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from monitor.notify.outbox import Outbox
from monitor.notify.slack import SlackSink
from monitor.store import Repository, open_store
from monitor.types import Evidence, FeedEntry, NearMiss, Stance
from monitor.watchlists import parse_watchlist
from tests.support.clock import NOW, Clock
from tests.support.databases import database_url
from tests.support.servers import SlackAPI

WATCHLIST = """
name: Arms desk
slack_channel: "#arms"
timezone: Europe/London
alerts:
  routes: {{contradicts: ["#denials"]}}
  per_claim_per_hour: {per_claim}
{quiet}
sources:
  - {{name: Wire, url: "http://127.0.0.1:9/wire.xml"}}
  - {{name: Ministry, url: "http://127.0.0.1:9/ministry.xml"}}
claims:
  - id: shells
    text: North Korea is shipping artillery shells to Russia
  - id: drones
    text: Iran supplies Shahed attack drones to Russia
"""


class Desk:
    """A watchlist in a real SQLite file, and a way to produce evidence for it."""

    def __init__(
        self, tmp_path: Path, slack: SlackAPI, per_claim: int = 6, quiet: str = ""
    ) -> None:
        self.slack = slack
        self.clock = Clock()
        slack.clock = self.clock.timestamp
        self.repository: Repository = open_store(database_url(tmp_path / "desk.sqlite3"))
        text = WATCHLIST.format(per_claim=per_claim, quiet=quiet)
        self.repository.sync_watchlists([parse_watchlist(text, tmp_path / "arms.yaml")], NOW)
        self.sources = {s.name: s for s in self.repository.sources()}
        self.claims = {c.key: c for c in self.repository.claims()}
        self.count = 0

    def sink(self) -> SlackSink:
        return SlackSink(self.slack.token, f"{self.slack.url}/api/")

    def outbox(self, **options: object) -> Outbox:
        options.setdefault("pace", 0.0)
        return Outbox(self.repository, self.sink(), self.clock, **options)  # type: ignore[arg-type]

    def evidence(self, claim: str, stance: Stance = Stance.SUPPORTS, source: str = "Wire") -> int:
        """Store a new item with evidence for ``claim``; returns the alerts queued."""
        found = self._reading(claim, stance, source)
        return self.repository.record_judgement([found.item_id], [found], self.clock())

    def near_miss(self, claim: str, relevance: float = 0.45) -> None:
        """Store a new item kept as a near miss of ``claim`` (just under its bar)."""
        found = self._reading(claim, Stance.MENTIONS, "Wire")
        kept = NearMiss(replace(found, alert=False), relevance)
        self.repository.record_judgement([found.item_id], [], self.clock(), near_misses=[kept])

    def _reading(self, claim: str, stance: Stance, source: str) -> Evidence:
        self.count += 1
        entry = FeedEntry(
            f"item-{self.count}",
            f"https://news.example/{self.count}",
            f"Report {self.count}",
            f"Report number {self.count} on the claim.",
        )
        [item] = self.repository.add_items(self.sources[source].id, [entry], self.clock())
        return Evidence(self.claims[claim].id, item.id, 0.8, f"Quote {self.count}", stance, 0.9)
