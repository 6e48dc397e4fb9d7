"""Who holds the stance, replayed over the development desk sets without a model.

    python scripts/research/attribution_dev.py [--sets main,c,e,f,g] [--misses] [--real]
                                               [--save PATH] [--compare PATH]

For every related item (supports, contradicts, mentions) whose label names a holder, the
holder the pipeline would show *for the labelled stance* is replayed through the pipeline's own
functions, and scored as ``python -m bench desk`` scores it (``bench.desk.same_holder`` with the
item's publisher). Printed: the accuracy per set, and with ``--misses`` each miss (shown | gold,
and the quote it was read from). ``--save`` keeps each item's holder; ``--compare`` lists the
items whose score changed since such a file (a rule change's gains and losses).

What it approximates, so that it runs in seconds on a CPU:

- passages are ``monitor.judge.passages.passages`` of the item (title, then the body's), as the
  pipeline cuts them;
- the passages closest to the claim (the matcher's five, closest first) are ranked by an
  IDF-weighted word-overlap cosine between claim and passage, not by the embedding model
  (``--real`` uses the configured embedding model instead: slower, closer to the pipeline);
- the quote is the one the stance model would give for the labelled stance: the built-in
  model's rule (``monitor.judge.builtin._result``): for a contradiction, a denial among the two
  closest passages, else the closest passage with refuting or negating words, else the closest;
  for a support or a mention, the closest passage;
- then ``monitor.judge.reading.primary`` (without the second reading of the news alone, which
  needs the model) may move the quote, as in the pipeline, when it keeps the labelled stance;
- the holder is ``monitor.judge.reading.holder_of`` of that result, as the pipeline gives it.

Only the development sets (``bench.deskset.DEVELOPMENT``) may be read here; the held-out
judges (b/holdout, d, report) are refused.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import deskset
from bench.desk import _publisher, same_holder
from bench.deskset import DEVELOPMENT
from monitor.judge import features as F
from monitor.judge.builtin import denial
from monitor.judge.passages import MAX_CHARS, MAX_PASSAGES, body_passages
from monitor.judge.reading import holder_of, primary, reported_denials
from monitor.judge.stance import StanceQuery
from monitor.types import Stance, StanceResult

CONTEXT = 5  # the matcher's closest passages (monitor.judge.match.best_matches)
_WORD = re.compile(r"[a-z0-9]+")
_STANCE = {"supports": Stance.SUPPORTS, "contradicts": Stance.CONTRADICTS,
           "mentions": Stance.MENTIONS}  # fmt: skip


def item_passages(item: deskset.DeskItem) -> list[str]:
    """The item's passages as ``monitor.judge.passages.passages`` cuts a feed item."""
    title = item.title[:MAX_CHARS]
    body = [p for p in body_passages(item.body) if p != title]
    return ([title] if title else []) + body[: MAX_PASSAGES - 1]


def _bag(text: str) -> Counter[str]:
    return Counter(w for w in _WORD.findall(text.lower()) if len(w) > 2)


def lexical_closest(claim: str, passages: Sequence[str], idf: dict[str, float]) -> list[str]:
    """The ``CONTEXT`` passages closest to ``claim`` by an IDF-weighted word cosine."""
    query = _bag(claim)

    def cosine(passage: str) -> float:
        bag = _bag(passage)
        dot = sum(query[w] * bag[w] * idf.get(w, 1.0) ** 2 for w in query)
        norm = math.sqrt(sum((c * idf.get(w, 1.0)) ** 2 for w, c in bag.items()))
        return dot / norm if norm else 0.0

    order = sorted(range(len(passages)), key=lambda n: -cosine(passages[n]))
    return [passages[n] for n in order[:CONTEXT]]


def real_closest(claim: str, passages: Sequence[str], embedder: object) -> list[str]:
    """The ``CONTEXT`` passages closest to ``claim`` by the embedding model."""
    vectors = embedder.encode([claim, *passages])  # type: ignore[attr-defined]
    scores = vectors[1:] @ vectors[0]
    order = sorted(range(len(passages)), key=lambda n: -float(scores[n]))
    return [passages[n] for n in order[:CONTEXT]]


def quote_for(claim: str, stance: Stance, closest: Sequence[str], passages: Sequence[str]) -> str:
    """The quote the built-in model gives a reading of ``stance`` (see the module docstring)."""
    first = closest[0] if closest else passages[0]
    if stance is not Stance.CONTRADICTS:
        return first
    found = denial(StanceQuery(claim, tuple(closest), passages[0], ""))
    if found is not None:
        return found
    return next((p for p in closest if set(F.words(p)) & (F.REFUTE | F.NEGATION)), first)


def replay(claim: str, item: deskset.DeskItem, closest: Sequence[str]) -> tuple[str, str]:
    """(holder shown, quote) for the item read with its labelled stance."""
    passages = item_passages(item)
    stance = _STANCE[item.label]
    overall = StanceResult(stance, 1.0, quote_for(claim, stance, closest, passages), 1.0)
    reported = reported_denials(claim, passages, closest)
    result, _ = primary(claim, passages, overall, None, reported)
    if result.stance is not stance:
        result = overall  # the replay is of the labelled stance
    return holder_of(result, passages, closest), result.quote


def idf_of(items: Sequence[deskset.DeskItem]) -> dict[str, float]:
    documents = [set(_bag(f"{i.title} {i.body}")) for i in items]
    df = Counter(w for d in documents for w in d)
    return {w: math.log((1 + len(documents)) / (1 + n)) + 1 for w, n in df.items()}


def run(
    name: str, show_misses: bool, embedder: object | None, rows: dict[str, dict[str, object]]
) -> tuple[int, int]:
    if name not in DEVELOPMENT:
        raise SystemExit(f"{name!r} is not a development set ({', '.join(DEVELOPMENT)})")
    desk = deskset.SETS[name]()
    idf = idf_of(desk.items)
    right = total = 0
    for item in desk.items:
        if item.label == "unrelated" or not item.attribution:
            continue
        claim = desk.claims[item.claim_id].text
        passages = item_passages(item)
        closest = (
            real_closest(claim, passages, embedder)
            if embedder is not None
            else lexical_closest(claim, passages, idf)
        )
        shown, quote = replay(claim, item, closest)
        ok = same_holder(shown, item.attribution, _publisher(item))
        right += ok
        total += 1
        rows[f"{name}/{item.id}"] = {"right": ok, "shown": shown, "gold": item.attribution}
        if show_misses and not ok:
            print(f"  [{name}] {item.id} {item.label}: {shown!r} | gold {item.attribution!r}")
            print(f"      quote: {quote[:220]!r}")
    return right, total


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(DEVELOPMENT))
    parser.add_argument("--misses", action="store_true", help="print every miss")
    parser.add_argument("--real", action="store_true", help="rank by the embedding model")
    parser.add_argument("--save", help="write each item's holder and score to this JSON file")
    parser.add_argument("--compare", help="print the items whose score differs from a --save")
    args = parser.parse_args(argv)
    embedder = None
    if args.real:
        from monitor.judge.embed import shared_embedder
        from monitor.settings import Settings

        embedder = shared_embedder(Settings().embedding_model)
    all_right = all_total = 0
    rows: dict[str, dict[str, object]] = {}
    for name in args.sets.split(","):
        right, total = run(name, args.misses, embedder, rows)
        all_right, all_total = all_right + right, all_total + total
        print(f"{name}: {right}/{total} = {right / total:.3f}" if total else f"{name}: none")
    if all_total:
        print(f"all: {all_right}/{all_total} = {all_right / all_total:.3f}")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        for key, row in rows.items():
            old = before.get(key)
            if old is not None and old["right"] != row["right"]:
                mark = "+" if row["right"] else "-"
                print(f"{mark} {key}: {old['shown']!r} -> {row['shown']!r} | gold {row['gold']!r}")
    if args.save:
        Path(args.save).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
