"""Per-pair readings of a desk set, for research on how the pipeline reads stance.

    python scripts/research/desk_features.py OUT.json [--set main|holdout]

For every labelled claim-item pair of the desk set: the candidate the pipeline would build (the
item's passages and the five closest to the claim's phrasings, aliases included), both stance
models' class probabilities on the item and on its news alone, the reading rules' signals, and
what ``monitor.judge.reading.primary`` decides with each model. No matching decision: every
labelled pair is read, as if it had been alerted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.deskset import SETS
from monitor.judge import reading
from monitor.judge.builtin import BuiltinStance, denial
from monitor.judge.cross import CrossEncoderStance, _query_window
from monitor.judge.embed import shared_embedder
from monitor.judge.match import phrasings
from monitor.judge.passages import MAX_CHARS, MAX_PASSAGES, body_passages
from monitor.judge.stance import StanceQuery
from monitor.settings import Settings
from monitor.types import ClaimSpec


def builtin_probabilities(model: BuiltinStance, queries: list[StanceQuery]) -> list[list[float]]:
    """[related, agree, disagree, discuss] per query (stance columns given related)."""
    articles = [model.article(q.body or " ".join(q.passages)) for q in queries]
    claims = [q.claim for q in queries]
    vectors = model.embedder.encode(claims)
    space = model.weights.space
    out = []
    for c, v, a in zip(claims, vectors, articles, strict=True):
        related = float(model.weights.related(space.related(c, v, a)[None, :])[0])
        if a.sentences:
            p = model.weights.stance(space.stance(c, v, a)[None, :])[0]
            by = dict(zip(model.weights.classes, p.tolist(), strict=True))
        else:
            by = {"agree": 0.0, "disagree": 0.0, "discuss": 1.0}
        out.append([related, by["agree"], by["disagree"], by["discuss"]])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", default="main", choices=sorted(SETS))
    args = parser.parse_args()
    desk = SETS[args.set]()
    settings = Settings()
    embedder = shared_embedder(settings.embedding_model)
    builtin = BuiltinStance(embedder)
    cross = CrossEncoderStance(relatedness=None)
    rows, candidates = [], []
    for item in desk.items:
        claim = desk.claims[item.claim_id]
        title = item.title[:MAX_CHARS]
        body = [p for p in body_passages(item.body) if p != title]
        passages = ([title] if title else []) + body[: MAX_PASSAGES - 1]
        texts = list(phrasings(ClaimSpec(key=claim.id, text=claim.text)))
        pv = embedder.encode(passages)
        cv = embedder.encode(texts)
        sim = (pv @ cv.T).max(axis=1)
        order = np.argsort(-sim, kind="stable")[:5]
        closest = tuple(passages[int(i)] for i in order)
        candidates.append(
            reading.Candidate(claim.text, item.title, item.body, tuple(passages), closest)
        )
        rows.append(
            {
                "item": item.id,
                "claim": claim.id,
                "split": claim.split,
                "gold": item.label,
                "holder": item.attribution,
                "score": float(sim.max()),
            }
        )
    overall = [StanceQuery(c.claim, c.closest, c.title, c.text) for c in candidates]
    news = [reading.news_query(c.claim, c.title, c.passages) for c in candidates]
    for name, model in (("builtin", builtin), ("cross", cross)):
        results = model.classify(overall)
        news_results = model.classify(news)
        if name == "builtin":
            probs, news_probs = (
                builtin_probabilities(builtin, overall),
                builtin_probabilities(builtin, news),
            )
        else:
            how = cross.window
            probs = cross.probabilities(
                [(q.claim, _query_window(q, how)[0]) for q in overall]
            ).tolist()
            news_probs = cross.probabilities(
                [(q.claim, _query_window(q, how)[0]) for q in news]
            ).tolist()
        for n, (c, r) in enumerate(zip(candidates, results, strict=True)):
            reported = reading.reported_denials(c.claim, c.passages, c.closest)
            nr = (
                news_results[n]
                if reading.needs_news_reading(c.claim, c.passages, r, reported)
                else None
            )
            verdict, _ = reading.primary(c.claim, c.passages, r, nr, reported)
            rows[n][name] = {
                "model": r.stance.value,
                "primary": verdict.stance.value,
                "quote": verdict.quote,
                "holder": reading.holder_of(verdict, c.passages, c.closest),
                "probs": probs[n],
                "news_probs": news_probs[n],
                "news_model": news_results[n].stance.value,
                "takes_no_side": reading.takes_no_side(c.claim, c.passages, r),
            }
    for n, c in enumerate(candidates):
        q = overall[n]
        news_passages = reading.news_of(c.passages)
        rows[n]["rules"] = {
            "denial_closest": denial(q) is not None,
            "news_denial": reading.news_denial(c.claim, c.passages) is not None,
            "news_refutation": reading.news_refutation(c.claim, c.passages) is not None,
            "news_calls_false": reading.news_calls_false(c.claim, c.passages) is not None,
            "news_assertion": reading.news_assertion(c.claim, c.passages) is not None,
            "reported_denials": len(reading.reported_denials(c.claim, c.passages, c.closest)),
            "unsettled_news": reading.unsettled(list(news_passages)),
            "hedged_news": any(reading._HEDGED.search(p) for p in news_passages),
            "not_saying_news": any(reading._NOT_SAYING.search(p) for p in news_passages),
            "mutual": any(reading._MUTUAL.search(p) for p in c.passages),
            "negated_any": any(reading._NEGATED.search(p) for p in c.closest),
            "refuted_any": any(reading._REFUTED.search(p) for p in c.closest),
            "denying_any": any(reading._DENYING.search(p) for p in c.closest),
            "claim_negative": bool(reading._NEGATIVE_CLAIM.search(c.claim)),
            "on_record_any": any(reading.asserted_on_record(p) for p in c.closest),
        }
    args.out.write_text(json.dumps(rows, indent=1))
    print(f"{len(rows)} pairs -> {args.out}")


if __name__ == "__main__":
    main()
