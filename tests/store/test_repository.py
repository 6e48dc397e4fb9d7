"""Repository queries added for ingestion: unseen keys and items per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.store import Repository, open_store
from monitor.types import AlertStatus, Evidence, FeedEntry, Stance
from monitor.watchlists import parse_watchlist
from tests.support.databases import database_url

NOW = datetime(2024, 3, 7, 9, 30, tzinfo=UTC)
WATCHLIST = """
name: Desk
slack_channel: "#desk"
sources:
  - {name: A, url: "https://a.example.org/feed"}
  - {name: B, url: "https://b.example.org/feed"}
claims:
  - {id: c, text: A claim}
"""


def repository_with_sources(tmp_path: Path) -> tuple[Repository, int, int]:
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    repository.sync_watchlists([parse_watchlist(WATCHLIST, tmp_path / "desk.yaml")], NOW)
    a, b = repository.sources()
    return repository, a.id, b.id


def entry(key: str) -> FeedEntry:
    return FeedEntry(key, f"https://a.example.org/{key}", key, "text")


def test_unseen_keys_keeps_order_and_drops_stored_and_repeated_keys(tmp_path: Path) -> None:
    repository, a, _ = repository_with_sources(tmp_path)
    repository.add_items(a, [entry("k2")], NOW)
    assert repository.unseen_keys(["k3", "k2", "k1", "k3"]) == ["k3", "k1"]
    assert repository.unseen_keys([]) == []


def test_items_per_day_counts_the_last_seven_utc_days_oldest_first(tmp_path: Path) -> None:
    repository, a, b = repository_with_sources(tmp_path)
    repository.add_items(a, [entry("old")], NOW - timedelta(days=7))  # outside the window
    repository.add_items(a, [entry("d6"), entry("d6b")], NOW - timedelta(days=6, hours=9))
    repository.add_items(a, [entry("y")], NOW - timedelta(hours=10))  # yesterday, 23:30
    repository.add_items(b, [entry("t")], NOW.replace(hour=0, minute=0))
    assert repository.items_per_day(NOW) == {a: [2, 0, 0, 0, 0, 1, 0], b: [0, 0, 0, 0, 0, 0, 1]}


def test_an_article_whose_guid_changed_is_not_stored_again(tmp_path: Path) -> None:
    repository, a, b = repository_with_sources(tmp_path)
    first = FeedEntry("guid-1", "https://a.example.org/story", "Story", "text")
    renamed = FeedEntry("guid-1-v2", "https://a.example.org/story", "Story (updated)", "text")
    assert len(repository.add_items(a, [first], NOW)) == 1
    assert repository.add_items(a, [renamed], NOW) == []
    # Another source linking to the same article is its own item.
    assert len(repository.add_items(b, [renamed], NOW)) == 1


def test_entries_without_a_link_of_their_own_are_kept_apart(tmp_path: Path) -> None:
    repository, a, _ = repository_with_sources(tmp_path)
    feed = "https://a.example.org/feed"
    linkless = [FeedEntry(f"t{i}", feed, f"Title {i}", "text") for i in range(3)]
    assert len(repository.add_items(a, linkless[:2], NOW)) == 2
    assert len(repository.add_items(a, linkless[2:], NOW)) == 1


def test_interval_bounds_are_stored_and_a_change_restarts_adaptation(tmp_path: Path) -> None:
    repository, a, _ = repository_with_sources(tmp_path)
    later = NOW + timedelta(minutes=20)
    repository.record_fetch(a, NOW, later, interval=timedelta(minutes=30))
    assert repository.source(a).adapted_interval == timedelta(minutes=30)
    bounded = WATCHLIST.replace(
        '{name: A, url: "https://a.example.org/feed"}',
        '{name: A, url: "https://a.example.org/feed", max_poll_interval: 20m}',
    )
    repository.sync_watchlists([parse_watchlist(bounded, tmp_path / "desk.yaml")], NOW)
    source = repository.source(a)
    assert (source.min_poll_interval, source.max_poll_interval) == (None, timedelta(minutes=20))
    assert source.adapted_interval is None  # starts again from the configured 15 minutes
    [desk] = [repository.watchlist("desk")]
    assert desk is not None and desk.sources[0].max_poll_interval == timedelta(minutes=20)


def test_alerts_waiting_for_a_claim_removed_from_its_file_are_never_sent(tmp_path: Path) -> None:
    two_claims = WATCHLIST.replace(
        "  - {id: c, text: A claim}", "  - {id: c, text: A claim}\n  - {id: d, text: Another}"
    )
    repository = open_store(database_url(tmp_path / "m.sqlite3"))
    repository.sync_watchlists([parse_watchlist(two_claims, tmp_path / "desk.yaml")], NOW)
    claims = {claim.key: claim.id for claim in repository.claims("desk")}
    source = repository.sources()[0].id
    items = repository.add_items(source, [entry("k1")], NOW)
    evidence = [
        Evidence(claims[key], items[0].id, 0.9, "quote", Stance.SUPPORTS, 0.8) for key in "cd"
    ]
    assert repository.record_judgement([items[0].id], evidence, NOW) == 2
    # The desk removes claim d from the file before its alert went out.
    repository.sync_watchlists([parse_watchlist(WATCHLIST, tmp_path / "desk.yaml")], NOW)
    [due] = repository.due_alerts(NOW)
    assert due.claim_key == "c"
    [muted] = repository.alerts(AlertStatus.MUTED)
    assert muted.claim_key == "d"
    assert muted.last_error == "its claim was removed from the watchlist"
