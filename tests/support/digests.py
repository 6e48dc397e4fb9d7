"""What the digest tests share: a real SMTP server (aiosmtpd) and a desk with evidence."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from monitor.digest.deliver import DigestDesk
from monitor.digest.send import SmtpConfig, SmtpSender
from monitor.store import Repository, open_store
from monitor.types import Evidence, FeedEntry, Stance
from monitor.watchlists import parse_watchlist
from tests.support.clock import Clock
from tests.support.databases import database_url

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 08:00 in London: after the 07:00 send time
MAIL_FROM = "Desk Monitor <monitor@newsroom.example>"

WATCHLIST = """
name: Arms desk
slack_channel: "#arms"
timezone: Europe/London
digest:
  recipients: [editor@newsroom.example, night@newsroom.example, gone@newsroom.example]
  send_at: "07:00"
  stale_after_days: 7
sources:
  - {name: Demo Wire, url: "https://wire.example/feed.xml"}
  - {name: Ministry, url: "https://mfa.example/feed.xml"}
claims:
  - {id: shells, text: North Korea is shipping artillery shells to Russia}
  - {id: drones, text: Iran supplies Shahed attack drones to Russia}
  - {id: jets, text: Iran is acquiring Russian fighter jets}
  - {id: troops, text: North Korean troops fight in Kursk}
"""


@dataclass
class Received:
    """One message the SMTP server accepted, with its envelope recipients."""

    recipients: list[str]
    message: EmailMessage


@dataclass
class Handler:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses in
    ``refuse`` with a 550."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be stopped (down) and started again."""

    def __init__(self) -> None:
        self.handler = Handler()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


def make_sender(port: int) -> SmtpSender:
    return SmtpSender(SmtpConfig("127.0.0.1", port, timeout=5), attempts=2, sleep=lambda _: None)


def desk_with_evidence(tmp_path: Path, watchlist: str = WATCHLIST) -> Repository:
    """A stored watchlist with new evidence (shells: support and a contradiction; drones: a
    mention), a claim last seen 10 days ago (jets), one never seen (troops), and a source
    that fails."""
    repository = open_store(database_url(tmp_path / "digest.sqlite3"))
    desk = parse_watchlist(watchlist, tmp_path / "desk.yaml")
    repository.sync_watchlists([desk], NOW - timedelta(days=30))
    claims = {c.key: c.id for c in repository.claims("desk")}
    wire, ministry = sorted(repository.sources(), key=lambda s: s.name)
    old = _items(repository, wire.id, ["old-jets"], NOW - timedelta(days=10))
    repository.record_judgement(
        [old[0]],
        [
            Evidence(
                claims["jets"], old[0], 0.8, "Iran took delivery of jets.", Stance.SUPPORTS, 0.7
            )
        ],
        NOW - timedelta(days=10),
    )
    new = _items(repository, wire.id, ["a", "b", "c", "d"], NOW - timedelta(hours=3))
    found = [
        Evidence(
            claims["shells"],
            new[0],
            0.91,
            "North Korea has shipped a million artillery shells to Russia, officials said.",
            Stance.SUPPORTS,
            0.9,
        ),
        Evidence(
            claims["shells"],
            new[1],
            0.85,
            'Pyongyang denied <b>any</b> shipments & called the report "a fabrication".',
            Stance.CONTRADICTS,
            0.8,
        ),
        Evidence(
            claims["shells"], new[2], 0.7, "Trains carried containers north.", Stance.SUPPORTS, 0.6
        ),
        Evidence(
            claims["drones"],
            new[3],
            0.75,
            "Drones were discussed at the summit.",
            Stance.MENTIONS,
            0.5,
        ),
    ]
    repository.record_judgement(new, found, NOW - timedelta(hours=3))
    repository.record_fetch(
        ministry.id, NOW - timedelta(hours=1), NOW, error="HTTP 503 Service Unavailable"
    )
    return repository


def _items(repository: Repository, source_id: int, keys: list[str], at: datetime) -> list[int]:
    entries = [
        FeedEntry(
            key=f"https://wire.example/{key}",
            url=f"https://wire.example/{key}",
            title=f"Story {key}",
            text=f"Text of story {key} " * 20,
            published_at=at,
        )
        for key in keys
    ]
    return [item.id for item in repository.add_items(source_id, entries, at)]


def make_desk(repository: Repository, port: int, clock: Clock) -> DigestDesk:
    return DigestDesk(repository, make_sender(port), MAIL_FROM, clock)
