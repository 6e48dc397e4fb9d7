"""The desk set through the whole pipeline: what a desk would see in Slack, scored.

    python -m bench desk [--backend torch|onnx|onnx-int8] [--stance-model builtin|crossencoder]
                         [--set main|holdout|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|report] [--calibrate]
                         [--builtin-relatedness] [--json PATH]

The desk set's items (``bench/deskset/``) are served as RSS feeds from a server on 127.0.0.1,
with a wire copy of every fourth related item in another feed (same text, another outlet); a
watchlist tracks all the desk set's claims; the service (``monitor.app.build_service``, default
models) polls, judges and posts to the local Slack Web API server the tests use
(``tests/servers.py``). Only the Slack posts are read back: the claim and stance from each
post's metadata, the item from its link, who holds the stance from its text. Scored per split
(``report``: the figures; ``tune``: what thresholds were fitted on):

* **matching**: recall over the labelled related pairs (supports, contradicts, mentions);
  precision over every alert, so an alert for an adjacent item, or for another claim, counts
  against it;
* **stance**: accuracy and per-class precision / recall / F1 over the related pairs alerted;
  **contradiction** recall (over all labelled contradictions) and precision (over every
  contradiction alert);
* **attribution**: of the alerted pairs whose label names a holder, how many alerts name the
  same one (a shared distinctive word: "Kirby" for "NSC spokesman John Kirby"; "the outlet"
  for the outlet), and how many reported denials are listed;
* **near misses**: the (claim, item) pairs kept for editors' review below the bar, how many
  of them are related, and the recall of the alerts and the near misses together;
* **stories**: wire copies grouped with their original, distinct items merged wrongly, and
  copies that raised a second alert.

``--set holdout`` replays desk set B (``bench/deskset/holdout/``) instead: other claims, built
later and blind, every one of them reported on and none tuned on; its watchlist holds its own
claims only.

``--set c`` replays desk set C (``bench/deskset/c/``): other claims again, built blind, every
one of them ``tune``: what chooses now that the shipped cross-encoder has trained on the first
set's claims.

``--set d`` replays desk set D (``bench/deskset/d/``), built blind like B, every claim
reported on; ``--set report`` replays B and D together on one watchlist of their 61 claims: the
held-out report (docs/stance-research.md, round 8). None of the three can be calibrated on.

``--set e`` replays desk set E (``bench/deskset/e/``), built blind, every claim ``tune``: it
chose the default stance model in round 10 and is development data since. ``--set f``
replays desk set F (``bench/deskset/f/``), built blind the same way to choose it again in
round 15, ``--set g`` desk set G (``bench/deskset/g/``) in round 16, ``--set h`` desk set
H (``bench/deskset/h/``) in round 17, ``--set i`` desk set I (``bench/deskset/i/``) in round
18, ``--set j`` desk set J (``bench/deskset/j/``) in round 19, ``--set k`` desk set K
(``bench/deskset/k/``) in round 20, ``--set l`` desk set L (``bench/deskset/l/``) in round
21, ``--set m`` desk set M (``bench/deskset/m/``) in round 23, ``--set n`` desk set N
(``bench/deskset/n/``) in round 24, ``--set o`` desk set O (``bench/deskset/o/``) in round 25,
``--set p`` desk set P (``bench/deskset/p/``) in round 26, and ``--set q`` desk set Q
(``bench/deskset/q/``) in round 27.

``--calibrate`` instead records every candidate (cosine and the stance model's relatedness)
and fits the relevance decision (``monitor/judge/relevance.py``) on the *tune* claims only
(the first set's, or desk set C's to P's with ``--set c`` or ``e`` to ``p``).
``--builtin-relatedness`` gives the cross-encoder the built-in model's relatedness and the
decision calibrated on it, as shipped until round 21 (a research switch: docs/stance-research.md,
rounds 7 and 21).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from bench.deskset import HELD_OUT, SETS, DeskItem, DeskSet
from tests.support.servers import LocalServer, Response, SlackAPI

FEEDS = 10
COPY_EVERY = 4
BASE = "https://desk.bench.invalid/"
STANCES = ("supports", "contradicts", "mentions")
Config = dict[str, Any]


# --- replaying the desk set -----------------------------------------------------------------


@dataclass(frozen=True)
class Replay:
    """What was published: each URL's desk item, and which URLs are wire copies."""

    item_of: dict[str, DeskItem]
    copies: dict[str, str]  # copy URL -> original URL


def publish(desk: DeskSet, server: LocalServer) -> Replay:
    """The items as RSS feeds on ``server``; a wire copy of every fourth related item."""
    feeds: list[list[tuple[str, DeskItem]]] = [[] for _ in range(FEEDS)]
    item_of: dict[str, DeskItem] = {}
    copies: dict[str, str] = {}
    related = 0
    for n, item in enumerate(desk.items):
        url = f"{BASE}{item.id}"
        feeds[n % FEEDS].append((url, item))
        item_of[url] = item
        if item.label != "unrelated":
            related += 1
            if related % COPY_EVERY == 0:
                copy = f"{BASE}copy/{item.id}"
                feeds[(n + FEEDS // 2) % FEEDS].append((copy, item))
                item_of[copy] = item
                copies[copy] = url
    for number, entries in enumerate(feeds):
        server.responses[f"/feed-{number}.xml"] = Response(rss(number, entries))
    return Replay(item_of, copies)


def rss(number: int, entries: Sequence[tuple[str, DeskItem]]) -> bytes:
    items = "".join(
        f"<item><title>{escape(item.title)}</title><link>{url}</link><guid>{url}</guid>"
        f"<description>{escape(item.body)}</description></item>"
        for url, item in entries
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Desk feed {number}</title>{items}</channel></rss>"
    ).encode()


def watchlist_yaml(base: str, desk: DeskSet) -> str:
    sources = "\n".join(
        f'  - {{name: "Outlet {i}", url: "{base}/feed-{i}.xml"}}' for i in range(FEEDS)
    )
    claims = "\n".join(
        f"  - id: {claim.id}\n    text: {json.dumps(claim.text)}" for claim in desk.claims.values()
    )
    return (
        'name: Desk set\nslack_channel: "#desk"\n'
        "alerts: {per_claim_per_hour: 1000, per_channel_per_hour: 3600}\n"
        f"sources:\n{sources}\nclaims:\n{claims}\n"
    )


# --- reading the Slack posts ------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """One alert as the desk saw it in Slack."""

    claim: str
    url: str
    stance: str
    holder: str | None  # None: the post names nobody
    reports_denial: bool


_LINK = re.compile(r"<(https://desk\.bench\.invalid/[^|>]+)\|")
_HELD = re.compile(
    r"^\[\w+(?:, (?:according to (?P<who>.+?)|(?P<outlet>stated by the outlet)))?\] "
)


def read_posts(slack: SlackAPI) -> list[Post]:
    """Every alert posted (summaries are not expected: the limits are set out of reach)."""
    posts = []
    for message in slack.posted:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if "claim_id" not in payload:
            continue
        shown = json.dumps(message.get("blocks") or [])
        link = _LINK.search(shown)
        held = _HELD.match(message.get("text", ""))
        holder = None
        if held and held.group("outlet"):
            holder = "the outlet"
        elif held and held.group("who"):
            holder = held.group("who")
        posts.append(
            Post(
                claim=payload["claim_id"],
                url=link.group(1) if link else "",
                stance=payload["stance"],
                holder=holder,
                reports_denial="Also reports:" in shown and "contradicts" in shown,
            )
        )
    return posts


# --- scoring ----------------------------------------------------------------------------------

_GENERIC_WORDS = """the a an of for at from to and in on by with via its his her their s spokesman
    spokeswoman spokesperson ministry foreign minister official officials government president
    secretary director state statement office department agency spokespeople said says
    according report reports outlet senior top deputy chief head press service services
    news national council defence defense security affairs general brig gen unnamed citing
    carried"""
_GENERIC = frozenset(_GENERIC_WORDS.split())


def distinctive(holder: str) -> set[str]:
    """The words that tell one holder from another (names, bodies, countries), cut to five
    letters ("Russian" and "Russia's" agree), plus the countries a capital, government or
    adjective stands for ("Pyongyang" is North Korea's, "Iranian" Iran's)."""
    from monitor.judge.aliases import COUNTRIES, mentions

    adjectives = [c.name for c in COUNTRIES if re.search(rf"\b{re.escape(c.adjective)}\b", holder)]
    countries = {f"country:{name}" for name in [*(c.name for c in mentions(holder)), *adjectives]}
    words = re.findall(r"[a-z0-9]+", holder.lower().replace("’", "'").replace("'s", ""))
    return {w[:5] for w in words if w not in _GENERIC and len(w) > 1} | countries


def initials(holder: str) -> str:
    """ "IAEA" for "International Atomic Energy Agency" (small words skipped)."""
    names = re.findall(r"[A-Z][\w'’.-]*", holder)
    return "".join(n[0] for n in names if not n.isupper())


def same_holder(shown: str | None, gold: str, publisher: str = "") -> bool:
    """Whether an alert's holder is the labelled one: both the outlet (a label or a holder
    naming the item's ``publisher``, "Check Your Fact" on a Check Your Fact page, is the
    outlet too), a shared distinctive word, or an acronym of the other's name ("IAEA
    inspectors", "International Atomic Energy Agency")."""
    if shown is None:
        return False
    is_outlet = gold.lower().startswith("the outlet") or (
        bool(publisher) and distinctive(gold) <= distinctive(publisher)
    )
    names_outlet = shown == "the outlet" or (
        is_outlet and bool(publisher) and set() < distinctive(shown) <= distinctive(publisher)
    )  # "FactCheck.org" on FactCheck.org's own page names the outlet
    if is_outlet or names_outlet:
        return is_outlet and names_outlet
    if distinctive(shown) & distinctive(gold):
        return True
    acronyms = {w for w in re.findall(r"\b[A-Z]{2,}\b", f"{shown} {gold}")}
    return bool(acronyms & {initials(shown), initials(gold)})


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def f1(precision: float | None, recall: float | None) -> float | None:
    if not precision or not recall:
        return 0.0 if precision is not None and recall is not None else None
    return round(2 * precision * recall / (precision + recall), 3)


def score(
    desk: DeskSet,
    replay: Replay,
    posts: Sequence[Post],
    split: str,
    among: Collection[str] | None = None,
    near_misses: Collection[tuple[str, str]] = (),
) -> Config:
    """Matching, stance, contradiction and attribution figures on one split's claims (those
    ``among`` only, when given: one set's claims of a replay that published several).
    ``near_misses``: the (claim, item) pairs kept for editors' review, not alerted."""
    claims = {c.id for c in desk.claims_in(split)}  # type: ignore[arg-type]
    if among is not None:
        claims &= set(among)
    items = [i for i in desk.items if i.claim_id in claims]
    gold = {(i.claim_id, i.id): i for i in items if i.label != "unrelated"}
    shown: dict[tuple[str, str], Post] = {}
    for post in posts:
        item = replay.item_of.get(post.url)
        if item is not None and post.claim in claims:
            shown.setdefault((post.claim, item.id), post)
    hits = [(pair, post) for pair, post in shown.items() if pair in gold]
    result: Config = {
        "claims": len(claims),
        "items": len(items),
        "related_pairs": len(gold),
        "alerts": len(shown),
        "matching": {
            "recall": ratio(len(hits), len(gold)),
            "precision": ratio(len(hits), len(shown)),
            # The labelled pairs only (each item against its own claim): what the set labels.
            "precision_labelled": ratio(
                len(hits), sum(1 for c, i in shown if _owner(desk, i) == c)
            ),
            "alerts_on_unrelated_items": sum(
                1 for (c, i), _ in shown.items() if (c, i) not in gold and _owner(desk, i) == c
            ),
            "alerts_for_another_claim": sum(1 for (c, i) in shown if _owner(desk, i) != c),
        },
        "near_misses": review_figures(desk, gold, shown, near_misses, claims),
    }
    result["stance"] = stance_figures(hits, gold)
    result["contradiction"] = contradiction_figures(shown, gold)
    result["attribution"] = attribution_figures(hits, gold)
    result["pairs"] = [  # every labelled pair: what the desk saw (for reading, not scoring)
        {
            "item": item.id,
            "label": item.label,
            "alerted": (item.claim_id, item.id) in shown,
            "stance": getattr(shown.get((item.claim_id, item.id)), "stance", None),
            "holder": getattr(shown.get((item.claim_id, item.id)), "holder", None),
            "gold_holder": item.attribution,
            "reported_denial": item.reported_denial,
            "denial_listed": getattr(shown.get((item.claim_id, item.id)), "reports_denial", None),
        }
        for item in items
    ]
    return result


def review_figures(
    desk: DeskSet,
    gold: Collection[tuple[str, str]],
    shown: Collection[tuple[str, str]],
    near_misses: Collection[tuple[str, str]],
    claims: Collection[str],
) -> Config:
    """What editors are shown to review besides the alerts, and how much of what the alerts
    missed it holds: recall of the alerts and the near misses together."""
    kept = {pair for pair in near_misses if pair[0] in claims and pair not in shown}
    found = sum(1 for pair in kept if pair in gold)
    return {
        "kept": len(kept),
        "related": found,
        "precision": ratio(found, len(kept)),
        "per_item": ratio(len(kept), len({i.id for i in desk.items if i.claim_id in claims})),
        "recall_with_alerts": ratio(sum(1 for p in gold if p in shown) + found, len(gold)),
    }


def _owner(desk: DeskSet, item_id: str) -> str:
    return next(i.claim_id for i in desk.items if i.id == item_id)


def stance_figures(
    hits: Sequence[tuple[tuple[str, str], Post]], gold: dict[tuple[str, str], DeskItem]
) -> Config:
    right = sum(1 for pair, post in hits if post.stance == gold[pair].label)
    confusion = Counter((gold[pair].label, post.stance) for pair, post in hits)
    per_class = {}
    for label in STANCES:
        predicted = sum(n for (_, p), n in confusion.items() if p == label)
        actual = sum(n for (g, _), n in confusion.items() if g == label)
        precision = ratio(confusion[(label, label)], predicted)
        recall = ratio(confusion[(label, label)], actual)
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1(precision, recall)}
    return {
        "accuracy": ratio(right, len(hits)),
        "per_class": per_class,
        "confusion": {f"{g}->{p}": n for (g, p), n in sorted(confusion.items())},
    }


def contradiction_figures(
    shown: dict[tuple[str, str], Post], gold: dict[tuple[str, str], DeskItem]
) -> Config:
    labelled = [pair for pair, item in gold.items() if item.label == "contradicts"]
    alerted = [pair for pair, post in shown.items() if post.stance == "contradicts"]
    right = sum(1 for pair in alerted if pair in labelled)
    return {
        "recall": ratio(right, len(labelled)),
        "precision": ratio(right, len(alerted)),
        "labelled": len(labelled),
        "alerted": len(alerted),
    }


def attribution_figures(
    hits: Sequence[tuple[tuple[str, str], Post]], gold: dict[tuple[str, str], DeskItem]
) -> Config:
    attributed = [(pair, post) for pair, post in hits if gold[pair].attribution]
    right = sum(
        1
        for pair, post in attributed
        if same_holder(post.holder, gold[pair].attribution or "", _publisher(gold[pair]))
    )
    denials = [(pair, post) for pair, post in hits if gold[pair].reported_denial]
    return {
        "accuracy": ratio(right, len(attributed)),
        "attributed_alerts": len(attributed),
        "reported_denials_listed": ratio(
            sum(1 for _, p in denials if p.reports_denial), len(denials)
        ),
        "reported_denials_alerted": len(denials),
        "denials_listed_unlabelled": sum(
            1 for pair, post in hits if post.reports_denial and not gold[pair].reported_denial
        ),
    }


def _publisher(item: DeskItem) -> str:
    """The outlet that published the item: its source title up to the colon."""
    return item.source_title.split(":", 1)[0]


def story_figures(replay: Replay, stories: dict[str, int | None], posts: Sequence[Post]) -> Config:
    """Wire copies in their original's story, distinct items merged, copies that re-alerted."""
    grouped = sum(
        1 for copy, original in replay.copies.items() if stories.get(copy) == stories.get(original)
    )
    originals = [u for u in replay.item_of if u not in replay.copies]
    by_story = Counter(stories.get(u) for u in originals if stories.get(u) is not None)
    merged = sum(n - 1 for n in by_story.values() if n > 1)
    alerted = Counter((p.claim, replay.item_of[p.url].id) for p in posts if p.url in replay.item_of)
    pairs = {(p.claim, replay.item_of[p.url].id) for p in posts if p.url in replay.copies}
    return {
        "copies": len(replay.copies),
        "copies_grouped": ratio(grouped, len(replay.copies)),
        "distinct_items_merged": merged,
        "second_alerts_for_a_story": sum(1 for pair in pairs if alerted[pair] > 1),
    }


# --- the run ------------------------------------------------------------------------------------


def run(config: Config) -> Config:
    from monitor.app import build_service
    from monitor.settings import load_settings

    desk = SETS[config.get("set", "main")]()
    with (
        tempfile.TemporaryDirectory() as tmp,
        LocalServer() as feeds,
        SlackAPI() as slack,
    ):
        replay = publish(desk, feeds)
        directory = Path(tmp) / "watchlists"
        directory.mkdir()
        (directory / "desk.yaml").write_text(watchlist_yaml(feeds.url, desk))
        backend = {"embedding_backend": config["backend"]} if config.get("backend") else {}
        settings = load_settings(
            database_url=f"sqlite:///{tmp}/desk.sqlite3",
            watchlists=directory,
            slack_bot_token=slack.token,
            slack_api_url=f"{slack.url}/api/",
            slack_pace=0,
            stance_model=config["stance_model"],
            allow_private_networks=True,
            **backend,
        )
        service = build_service(settings)
        if config.get("builtin_relatedness"):
            from monitor.judge.builtin import BuiltinStance
            from monitor.judge.cross import CrossEncoderStance
            from monitor.judge.relevance import BUILTIN

            pipeline = service.pipeline
            if not isinstance(pipeline.stance, CrossEncoderStance):
                raise SystemExit("--builtin-relatedness is for a cross-encoder stance model")
            pipeline.stance.relatedness = BuiltinStance(pipeline.embedder)
            pipeline.relevance = replace(BUILTIN, review_band=pipeline.relevance.review_band)
        if config.get("calibrate"):
            from monitor.judge.relevance import CANDIDATE_SIMILARITY, Relevance

            # Every candidate becomes evidence, so that all of them can be fitted on.
            service.pipeline.relevance = Relevance(CANDIDATE_SIMILARITY, bias=50.0)
        service.pipeline.embedder.encode(["warm-up: load the model"])
        report = service.sync_watchlists()
        if report.problems:
            raise SystemExit(f"desk watchlist: {report.problems[0]}")
        start = time.perf_counter()
        service.pipeline.run_cycle(service.repository.sources())
        seconds = time.perf_counter() - start
        if config.get("calibrate"):
            candidates = _candidates(service, desk, replay)
            service.close()
            return {"candidates": candidates}
        posts = read_posts(slack)
        stories = {i.url: i.story_id for i in service.repository.items_after(0, 100_000)}
        near = [
            (n.claim_key, replay.item_of[n.item_url].id)
            for n in service.repository.near_misses(limit=100_000)
        ]
        service.close()
    splits = sorted({c.split for c in desk.claims.values()})
    return {
        "set": config.get("set", "main"),
        "backend": settings.embedding_backend,
        "stance_model": config["stance_model"],
        "items_published": len(replay.item_of),
        "cycle_seconds": round(seconds, 2),
        "items_per_second": round(len(replay.item_of) / seconds, 2),
        "posts": len(posts),
        **{split: score(desk, replay, posts, split, near_misses=near) for split in splits},
        **_each_set(config.get("set", "main"), desk, replay, posts, near),
        "stories": story_figures(replay, stories, posts),
    }


def _each_set(
    name: str,
    desk: DeskSet,
    replay: Replay,
    posts: Sequence[Post],
    near: Collection[tuple[str, str]],
) -> Config:
    """For the report (B and D on one watchlist), each set's own figures from the same run."""
    if name != "report":
        return {}
    return {
        f"report_{part}": score(
            desk, replay, posts, "report", among=SETS[part]().claims, near_misses=near
        )
        for part in ("holdout", "d")
    }


def _candidates(service: Any, desk: DeskSet, replay: Replay) -> list[Config]:
    """Every candidate recorded (claim key, split, cosine, relatedness, margin, whether it is a
    labelled related pair)."""
    found: list[Config] = []
    for claim in service.repository.claims():
        for evidence in service.repository.evidence_for_claim(claim.id):
            item = service.repository.item(evidence.item_id)
            if item.url in replay.copies:
                continue
            labelled = replay.item_of[item.url]
            found.append(
                {
                    "claim": claim.key,
                    "split": desk.claims[claim.key].split,
                    "similarity": evidence.score,
                    "related": evidence.related,
                    "relevant": labelled.claim_id == claim.key and labelled.label != "unrelated",
                    "item": labelled.id,
                    "own_claim": labelled.claim_id == claim.key,
                    "label": labelled.label,
                    "stance": evidence.stance.value,
                }
            )
    return with_margins(found)


def with_margins(
    candidates: list[Config], rival: Callable[[Config, Config], bool] | None = None
) -> list[Config]:
    """Each candidate's margin over the item's closest other claim, as the matcher computes it
    (every claim at or above the floor is a candidate, so the candidates are all it needs);
    with ``rival``, over the closest other claim that ``rival(candidate, other)`` accepts."""
    from monitor.judge.match import MAX_MARGIN, RIVAL_FLOOR

    by_item: dict[str, list[Config]] = {}
    for candidate in candidates:
        by_item.setdefault(candidate["item"], []).append(candidate)
    for candidate in candidates:
        others = [
            c["similarity"]
            for c in by_item[candidate["item"]]
            if c is not candidate and (rival is None or rival(candidate, c))
        ]
        margin = candidate["similarity"] - max([RIVAL_FLOOR, *others])
        candidate["margin"] = round(min(MAX_MARGIN, max(-MAX_MARGIN, margin)), 4)
    return candidates


# --- calibration --------------------------------------------------------------------------------


def fit(candidates: Sequence[Config], related_pairs: int, target: float = 0.95) -> Config:
    """A logistic of (cosine, relatedness, margin) fitted on the tune claims' candidates, with
    its operating point moved to 0.6, the default threshold.

    Positives are the labelled related pairs; negatives the pairs labelled unrelated and the
    pairs of an item with another claim than its own (unlabelled, but nearly all unrelated:
    without them the decision learns nothing against alerting every claim on a topic). The
    operating point is the threshold with the highest recall among those reaching ``target``
    recall and precision; where none does, the one with the best F1.
    """
    rows = [c for c in candidates if c["split"] == "tune"]
    x = [(c["similarity"], c["related"], c["margin"]) for c in rows]
    y = [1.0 if c["relevant"] else 0.0 for c in rows]
    w = _logistic(x, y)
    scores = sorted(((_z(w, p), label) for p, label in zip(x, y, strict=True)), reverse=True)
    points = []  # (z, recall, precision) at each cut
    right = 0.0
    for kept, (z, label) in enumerate(scores, start=1):
        right += label
        points.append((z, right / related_pairs, right / kept))
    reaching = [p for p in points if p[1] >= target and p[2] >= target]
    if reaching:
        z_at, recall, reached = max(reaching, key=lambda p: p[1])
        rule = f"highest recall with recall and precision >= {target}"
    else:
        z_at, recall, reached = max(points, key=lambda p: 2 * p[1] * p[2] / (p[1] + p[2] or 1))
        rule = f"best F1 (no threshold reaches recall and precision {target})"
    bias = w[3] - z_at + math.log(0.6 / 0.4)  # the operating point's logit becomes logit(0.6)
    return {
        "similarity_weight": round(w[0], 3),
        "related_weight": round(w[1], 3),
        "margin_weight": round(w[2], 3),
        "bias": round(bias, 3),
        "operating_point": rule,
        "tune_recall": round(recall, 3),
        "tune_precision": round(reached, 3),
        "tune_candidates": len(rows),
        "tune_related_pairs_among_candidates": int(sum(y)),
    }


def _z(w: Sequence[float], x: Sequence[float]) -> float:
    return sum(wi * xi for wi, xi in zip(w, x, strict=False)) + w[-1]


def _logistic(x: Sequence[Sequence[float]], y: Sequence[float]) -> list[float]:
    """Plain gradient descent with a little L2 (three features; no extra dependency)."""
    import numpy as np

    features = np.array([[*row, 1.0] for row in x])
    target = np.array(y)
    weights = np.zeros(features.shape[1])
    for _ in range(20_000):
        p = 1.0 / (1.0 + np.exp(-(features @ weights)))
        penalty = np.r_[weights[:-1], 0.0]
        weights -= features.T @ (p - target) / len(target) + 1e-3 * penalty
    return [float(v) for v in weights]


# --- the driver ---------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench desk")
    parser.add_argument(
        "--backend",
        choices=["torch", "onnx", "onnx-int8"],
        help="MONITOR_EMBEDDING_BACKEND (default: the service's, onnx since 2026-12-01; torch "
        "before, in earlier rounds' figures: onnx gives torch's vectors and the same stance "
        "labels, so the figures compare)",
    )
    parser.add_argument(
        "--stance-model",
        default="builtin",
        help="MONITOR_STANCE_MODEL (builtin here, whatever the service's default, so that "
        "earlier rounds' commands read as written)",
    )
    parser.add_argument(
        "--set",
        choices=sorted(SETS),
        default="main",
        help="the first desk set (main); holdout (B), c to q; report (B and D together)",
    )
    parser.add_argument("--calibrate", action="store_true", help="fit the relevance decision")
    parser.add_argument(
        "--builtin-relatedness",
        action="store_true",
        help="the cross-encoder with the built-in model's relatedness and its decision, as "
        "shipped before round 21",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.calibrate and args.set in HELD_OUT:
        parser.error(f"--calibrate fits on tune claims; --set {args.set} is never tuned on")
    config = {
        "backend": args.backend,
        "stance_model": args.stance_model,
        "set": args.set,
        "calibrate": args.calibrate,
        "builtin_relatedness": args.builtin_relatedness,
    }
    result = run(config)
    if args.calibrate:
        desk = SETS[args.set]()
        related = sum(1 for i in desk.split("tune") if i.label != "unrelated")
        result = {"fit": fit(result["candidates"], related), **result}
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    result.pop("candidates", None)
    for split in ("report", "tune", "report_holdout", "report_d"):
        result.get(split, {}).pop("pairs", None)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
