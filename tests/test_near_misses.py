"""Through the pipeline: a story the relevance decision keeps just under a claim's bar raises no
alert but waits for editors; accepted, it is the claim's evidence and the bar comes down a step;
dismissed, it is gone and nothing else changes."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.alerting import accepted_adjustment
from monitor.judge.relevance import CALIBRATED, REVIEW_BAND, SIMILARITY_ONLY, Relevance
from monitor.judge.stance import StanceQuery
from monitor.settings import load_settings
from monitor.store import Repository
from monitor.types import (
    Claim,
    FeedEntry,
    NearMiss,
    NearMissRecord,
    Review,
    Stance,
    StanceResult,
)
from monitor.watchlists import parse_watchlist
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, Response, SlackAPI
from tests.support.services import service_around
from tests.support.wire import rss, wire_desk

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CLAIM = "North Korea is supplying artillery shells to Russia"
WATCHLIST = f"""
name: Arms
slack_channel: "#arms"
sources: [{{{{name: Wire, url: "{{base}}/wire.xml"}}}}]
claims:
  - id: shells
    text: {CLAIM}
"""
SHIPMENTS = (
    "North Korea supplying artillery shells to Russia, White House says",
    "National Security Council spokesman John Kirby said North Korea is covertly supplying "
    "Russia with artillery shells.",
)
UNCONFIRMED = (
    "Shipments of shells to Russia from North Korea remain unconfirmed",
    "Officials in Seoul are still checking reports about the trains.",
)


class ReadsKirby:
    """A stance model sure that an item quoting Kirby bears on the claim, and doubtful of the
    rest; it reads every item as support and quotes its title."""

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]:
        return [
            StanceResult(Stance.SUPPORTS, 0.7, q.title, 0.9 if "Kirby" in q.body else 0.3)
            for q in queries
        ]


def judged(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI, relevance: Relevance
) -> Repository:
    feed_server.responses["/wire.xml"] = Response(rss(SHIPMENTS, UNCONFIRMED))
    watchlist = WATCHLIST.format(base=feed_server.url)
    repository, pipeline = wire_desk(tmp_path, watchlist, slack_api, ReadsKirby(), relevance, NOW)
    pipeline.run_cycle(repository.sources())
    return repository


def one_waiting(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> tuple[Repository, Claim, NearMissRecord]:
    """The wire judged with the shipped decision: the claim, and the near miss it keeps."""
    repository = judged(tmp_path, feed_server, slack_api, CALIBRATED)
    [claim] = repository.claims()
    [waiting] = repository.near_misses(claim.id)
    return repository, claim, waiting


def unconfirmed_relevance() -> float:
    """What the shipped decision makes of the unconfirmed story: under the bar, within the band."""
    claim, title = HashingEmbedder().encode([CLAIM, UNCONFIRMED[0]])
    similarity = float(claim @ title)
    return CALIBRATED.score(similarity, 0.3, min(0.2, similarity - 0.35))


def test_a_story_just_under_the_bar_raises_no_alert_but_waits_for_editors(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    assert 0.6 - REVIEW_BAND <= unconfirmed_relevance() < 0.6
    repository = judged(tmp_path, feed_server, slack_api, CALIBRATED)

    [posted] = slack_api.messages("#arms")
    assert SHIPMENTS[0] in posted["text"]
    [claim] = repository.claims()
    [waiting] = repository.near_misses(claim.id)
    assert waiting.item_title == UNCONFIRMED[0]
    assert waiting.near_miss.evidence.quote == UNCONFIRMED[0]
    assert waiting.near_miss.relevance == pytest.approx(unconfirmed_relevance(), abs=1e-3)
    assert waiting.review is None
    assert repository.open_near_miss_counts() == {claim.id: 1}
    assert [e.quote for e in repository.evidence_for_claim(claim.id)] == [SHIPMENTS[0]]


DOUBTED = (
    "Shells rumour: a blogger on Russia",
    "A blogger repeats the rumour without any source.",
)


class ReadsKirbyApart(ReadsKirby):
    """:class:`ReadsKirby` with its relatedness asked apart, as the cross-encoder takes the
    built-in model's; the rumour bears on nothing. Keeps the titles whose stance it read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def related(self, queries: Sequence[StanceQuery]) -> list[float] | None:
        read = super().classify(queries)
        return [
            0.0 if "rumour" in q.body else r.related for q, r in zip(queries, read, strict=True)
        ]

    def classify(
        self, queries: Sequence[StanceQuery], related: Sequence[float] | None = None
    ) -> list[StanceResult]:
        self.read += [q.title for q in queries]
        given = related if related is not None else self.related(queries)
        results = super().classify(queries)
        return [replace(r, related=g) for r, g in zip(results, given, strict=True)]


def test_a_model_whose_relatedness_is_asked_apart_reads_only_what_can_be_kept(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    claim, doubted = HashingEmbedder().encode([CLAIM, DOUBTED[0]])
    similarity = float(claim @ doubted)
    assert similarity >= CALIBRATED.gate(0.6)  # a candidate ...
    assert not CALIBRATED.kept(similarity, 0.0, 0.6, min(0.2, similarity - 0.35))  # ... dropped
    feed_server.responses["/wire.xml"] = Response(rss(SHIPMENTS, UNCONFIRMED, DOUBTED))
    model = ReadsKirbyApart()
    repository, pipeline = wire_desk(
        tmp_path, WATCHLIST.format(base=feed_server.url), slack_api, model, CALIBRATED, NOW
    )
    pipeline.run_cycle(repository.sources())

    [posted] = slack_api.messages("#arms")
    assert SHIPMENTS[0] in posted["text"]
    [claim_row] = repository.claims()
    assert [w.item_title for w in repository.near_misses(claim_row.id)] == [UNCONFIRMED[0]]
    assert SHIPMENTS[0] in model.read and UNCONFIRMED[0] in model.read
    assert DOUBTED[0] not in model.read


def test_accepted_it_is_evidence_and_the_claims_bar_comes_down_a_step(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, waiting = one_waiting(tmp_path, feed_server, slack_api)

    reviewed = repository.review_near_miss(
        waiting.id, Review.ACCEPTED, "ana", NOW, adjust=accepted_adjustment
    )

    assert (reviewed.review, reviewed.reviewed_by) == (Review.ACCEPTED, "ana")
    assert repository.near_misses(claim.id) == []
    assert {e.quote for e in repository.evidence_for_claim(claim.id)} == {
        SHIPMENTS[0],
        UNCONFIRMED[0],
    }
    [claim_after] = repository.claims()
    assert claim_after.threshold == pytest.approx(claim.threshold - 0.01)
    assert repository.open_near_miss_counts() == {}
    # The editor has seen it: accepting queues no alert. The first review stands.
    assert len(slack_api.messages("#arms")) == 1
    again = repository.review_near_miss(waiting.id, Review.DISMISSED, "bo", NOW)
    assert (again.review, again.reviewed_by) == (Review.ACCEPTED, "ana")
    assert len(repository.evidence_for_claim(claim.id)) == 2


def test_dismissed_it_leaves_the_list_and_nothing_else_changes(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, waiting = one_waiting(tmp_path, feed_server, slack_api)

    repository.review_near_miss(
        waiting.id, Review.DISMISSED, "ana", NOW, adjust=accepted_adjustment
    )

    assert repository.near_misses(claim.id) == []
    [kept] = repository.near_misses(claim.id, open_only=False)
    assert (kept.review, kept.reviewed_by) == (Review.DISMISSED, "ana")
    assert [e.quote for e in repository.evidence_for_claim(claim.id)] == [SHIPMENTS[0]]
    [claim_after] = repository.claims()
    assert claim_after.threshold == claim.threshold


def test_a_decision_by_similarity_alone_keeps_no_near_misses(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository = judged(tmp_path, feed_server, slack_api, SIMILARITY_ONLY)
    assert repository.near_misses() == []


def test_a_near_miss_a_backfill_made_evidence_waits_no_more_and_moves_no_bar(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, waiting = one_waiting(tmp_path, feed_server, slack_api)
    found = replace(waiting.near_miss.evidence, alert=True)

    assert repository.backfill_evidence([found], NOW) == 1

    assert repository.near_misses(claim.id) == []
    assert repository.open_near_miss_counts() == {}
    reviewed = repository.review_near_miss(
        waiting.id, Review.ACCEPTED, "ana", NOW, adjust=accepted_adjustment
    )
    assert reviewed.evidence_id is not None
    assert len(repository.evidence_for_claim(claim.id)) == 2  # the shipments and the backfill's
    [claim_after] = repository.claims()
    assert claim_after.threshold == claim.threshold


def test_rewording_the_claim_drops_what_waits(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, waiting = one_waiting(tmp_path, feed_server, slack_api)
    text = WATCHLIST.format(base=feed_server.url)

    resync(repository, tmp_path, text.replace("\n    text:", "\n    verdict: disputed\n    text:"))
    assert [w.id for w in repository.near_misses(claim.id)] == [waiting.id]  # same wording

    resync(repository, tmp_path, text.replace(CLAIM, "North Korea ships shells to Russia by rail"))
    assert repository.near_misses(claim.id, open_only=False) == []
    assert repository.open_near_miss_counts() == {}


def test_removing_the_claim_drops_what_waits_and_keeps_what_was_reviewed(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, reviewed = one_waiting(tmp_path, feed_server, slack_api)
    repository.review_near_miss(reviewed.id, Review.DISMISSED, "ana", NOW)
    [source] = repository.sources()
    [late] = repository.add_items(
        source.id, [FeedEntry("late", "https://wire.example/late", "Rail freight", "Trains")], NOW
    )
    found = replace(reviewed.near_miss.evidence, item_id=late.id)
    repository.record_judgement([late.id], [], NOW, near_misses=[NearMiss(found, 0.4)])
    assert len(repository.near_misses(claim.id, open_only=False)) == 2

    text = WATCHLIST.format(base=feed_server.url)
    resync(repository, tmp_path, text.replace("id: shells", "id: drones").replace(CLAIM, "Drones"))

    assert [r.id for r in repository.near_misses(claim.id, open_only=False)] == [reviewed.id]
    assert repository.open_near_miss_counts() == {}


def resync(repository: Repository, tmp_path: Path, watchlist: str) -> None:
    """The watchlist's file edited and synced again."""
    repository.sync_watchlists([parse_watchlist(watchlist, tmp_path / "arms.yaml")], NOW)


def test_two_editors_reviewing_at_once_leave_one_review_and_one_step(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    repository, claim, waiting = one_waiting(tmp_path, feed_server, slack_api)
    start = threading.Barrier(4)
    said: list[Review | None] = []

    def review(verdict: Review, editor: str) -> None:
        start.wait()
        record = repository.review_near_miss(
            waiting.id, verdict, editor, NOW, adjust=accepted_adjustment
        )
        said.append(record.review)

    editors = [
        threading.Thread(target=review, args=(verdict, f"editor{n}"))
        for n, verdict in enumerate([Review.ACCEPTED, Review.DISMISSED] * 2)
    ]
    for thread in editors:
        thread.start()
    for thread in editors:
        thread.join()

    [record] = repository.near_misses(ids=[waiting.id], open_only=False)
    assert said == [record.review] * 4  # every editor is told the one review that stands
    accepted = record.review is Review.ACCEPTED
    assert len(repository.evidence_for_claim(claim.id)) == 1 + accepted
    [claim_after] = repository.claims()
    assert claim_after.threshold == pytest.approx(claim.threshold - 0.01 * accepted)


def test_a_near_miss_nobody_reviews_in_time_is_forgotten_and_reviewed_ones_stay(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    feed_server.responses["/wire.xml"] = Response(rss(SHIPMENTS, UNCONFIRMED))
    watchlist = WATCHLIST.format(base=feed_server.url)
    repository, pipeline = wire_desk(tmp_path, watchlist, slack_api, ReadsKirby(), CALIBRATED, NOW)
    pipeline.run_cycle(repository.sources())
    [claim] = repository.claims()
    [forgotten] = repository.near_misses(claim.id)
    reviewed = kept_near_miss(repository, forgotten, "reviewed", NOW)
    repository.review_near_miss(reviewed.id, Review.DISMISSED, "ana", NOW)
    recent = kept_near_miss(repository, forgotten, "recent", NOW + timedelta(days=10))
    now = [NOW + timedelta(days=13)]
    settings = load_settings(watchlists=tmp_path, near_miss_days=14)
    service = service_around(settings, repository, pipeline, lambda: now[0])

    assert service.expire_near_misses() == 0  # 13 days: still waiting
    now[0] = NOW + timedelta(days=15)
    assert service.expire_near_misses() == 1

    assert [r.id for r in repository.near_misses(claim.id)] == [recent.id]
    assert {r.id for r in repository.near_misses(claim.id, open_only=False)} == {
        reviewed.id,
        recent.id,
    }
    assert repository.open_near_miss_counts() == {claim.id: 1}
    never = service_around(
        load_settings(watchlists=tmp_path, near_miss_days=0), repository, pipeline, lambda: now[0]
    )
    now[0] = NOW + timedelta(days=400)
    assert never.expire_near_misses() == 0  # 0 keeps them until reviewed
    assert [r.id for r in repository.near_misses(claim.id)] == [recent.id]


def kept_near_miss(
    repository: Repository, like: NearMissRecord, guid: str, when: datetime
) -> NearMissRecord:
    """Another item kept at ``when`` as a near miss of ``like``'s claim."""
    [source] = repository.sources()
    entry = FeedEntry(guid, f"https://wire.example/{guid}", f"Rail freight {guid}", "Trains")
    [item] = repository.add_items(source.id, [entry], when)
    found = replace(like.near_miss.evidence, item_id=item.id)
    repository.record_judgement([item.id], [], when, near_misses=[NearMiss(found, 0.4)])
    [kept] = [
        r
        for r in repository.near_misses(like.near_miss.evidence.claim_id, open_only=False)
        if r.near_miss.evidence.item_id == item.id
    ]
    return kept
