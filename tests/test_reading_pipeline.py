"""Through the pipeline: a report whose news is the shipments and that recalls a denial is
*supports*, held by the official who said it, and its Slack alert lists the denial; an
adjacent story the stance model finds unrelated raises nothing, though it is a candidate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from monitor.judge.relevance import CALIBRATED
from monitor.judge.stance import StanceQuery
from monitor.types import Stance, StanceResult
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, Response, SlackAPI
from tests.support.wire import rss, wire_desk

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
WATCHLIST = """
name: Arms
slack_channel: "#arms"
sources: [{{name: Wire, url: "{base}/wire.xml"}}]
claims:
  - id: shells
    text: North Korea is supplying artillery shells to Russia
"""
WATCHLIST_CLAIM = "North Korea is supplying artillery shells to Russia"
DENIAL = "Pyongyang has repeatedly denied supplying artillery shells to Russia."
SHIPMENTS = (
    "North Korea supplying artillery shells to Russia, White House says",
    "National Security Council spokesman John Kirby told reporters that North Korea is "
    "covertly supplying Russia with artillery shells.\n"
    "The shells were moved by rail in recent weeks.\n"
    "Officials gave no figure for the number of rounds involved.\n" + DENIAL,
)
ADJACENT = (
    "North Korea and Russia open a tourist rail route",
    "Tourists from Russia can now take a train to North Korea, the operator said on Monday.",
)


class SwayedByDenials:
    """A stance model with a known weakness: any denial in what it reads makes it answer
    *contradicts*. It says an item is related when it talks about shells, and quotes the
    longest passage."""

    def classify(self, queries: Sequence[StanceQuery]) -> list[StanceResult]:
        results = []
        for query in queries:
            related = 0.95 if "shells" in query.body else 0.05
            denial = next((p for p in query.passages if "denied" in p), None)
            if denial:
                results.append(StanceResult(Stance.CONTRADICTS, 0.8, denial, related))
            else:
                quote = max(query.passages, key=len)
                results.append(StanceResult(Stance.SUPPORTS, 0.7, quote, related))
        return results


def test_the_news_is_the_stance_and_the_recalled_denial_is_listed_with_who_denied(
    tmp_path: Path, feed_server: LocalServer, slack_api: SlackAPI
) -> None:
    feed_server.responses["/wire.xml"] = Response(rss(SHIPMENTS, ADJACENT))
    watchlist = WATCHLIST.format(base=feed_server.url)
    repository, pipeline = wire_desk(
        tmp_path, watchlist, slack_api, SwayedByDenials(), CALIBRATED, NOW
    )

    pipeline.run_cycle(repository.sources())

    [posted] = slack_api.messages("#arms")
    shown = "\n".join(b["text"]["text"] for b in posted["blocks"] if b["type"] == "section")
    assert posted["text"].startswith(
        "[supports, according to National Security Council spokesman John Kirby]"
    )
    assert "Also reports: Pyongyang contradicts" in shown and DENIAL in shown
    # The adjacent story was a candidate: the relatedness kept it out.
    claim_vector, title_vector = HashingEmbedder().encode([WATCHLIST_CLAIM, ADJACENT[0]])
    assert float(claim_vector @ title_vector) >= CALIBRATED.candidate_similarity
    [claim] = repository.claims()
    [evidence] = repository.evidence_for_claim(claim.id)
    assert evidence.stance is Stance.SUPPORTS
    assert evidence.holder == "National Security Council spokesman John Kirby"
    assert [(r.stance, r.holder) for r in evidence.reported] == [(Stance.CONTRADICTS, "Pyongyang")]
    assert evidence.related == 0.95
