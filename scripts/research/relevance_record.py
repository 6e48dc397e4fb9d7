"""Record every candidate of a development desk set once, for the relevance refits (round 18).

    nice -n 10 python scripts/research/relevance_record.py SET [--floor 0.25] [--out PATH]

The desk bench's ``--calibrate`` replay (``bench.desk.run``), with two additions so that later
experiments need no model:

- the candidate floor lowered to ``--floor`` (0.25) for the replay, so that a lower floor can be
  tried: a candidate keeps its cosine, and the shipped floor (0.35) is a filter on it;
- what the matcher saw of each item: its best cosine with every claim of the watchlist (how
  close the related pairs that never become candidates came), and for each candidate its
  passages' cosines with the claim summarised (mean, second best, how many passages, where the
  best one stands).

Desk sets B, D and the report are refused, and any set still to choose.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import monitor.judge.relevance as relevance
import monitor.pipeline.judging as judging
from bench import desk as bench
from bench.deskset import DEVELOPMENT, SETS


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("set", choices=DEVELOPMENT)
    parser.add_argument("--floor", type=float, default=0.25)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    seen: dict[tuple[int, int], dict[str, Any]] = {}  # (item db id, claim db id) -> stats
    best_of: dict[int, dict[int, float]] = {}  # item db id -> claim db id -> best cosine
    original = judging.best_matches

    def recording(item_id, passages, passage_vectors, index, *a, **kw):  # type: ignore[no-untyped-def]
        similarity = passage_vectors @ index.vectors.T
        best_of[item_id] = {}
        for n, claim in enumerate(index.claims):
            columns = similarity[:, index.owner == n]
            if not columns.size:
                continue
            per_passage = columns.max(axis=1)
            order = np.argsort(-per_passage, kind="stable")
            best_of[item_id][claim.id] = round(float(per_passage[order[0]]), 4)
            seen[(item_id, claim.id)] = {
                "passages": len(per_passage),
                "mean": round(float(per_passage.mean()), 4),
                "second": round(float(per_passage[order[1]]), 4) if len(order) > 1 else None,
                "best_at": int(order[0]),
            }
        return original(item_id, passages, passage_vectors, index, *a, **kw)

    judging.best_matches = recording
    relevance.CANDIDATE_SIMILARITY = args.floor  # bench.desk.run reads it at call time
    holder: dict[str, Any] = {}
    real_candidates = bench._candidates

    def candidates(service, desk, replay):  # type: ignore[no-untyped-def]
        found = real_candidates(service, desk, replay)
        ids = {c.key: c.id for c in service.repository.claims()}
        urls = {}
        for item_id in best_of:
            urls[item_id] = service.repository.item(item_id).url
        by_url = {u: i for i, u in urls.items()}
        for c in found:
            url = next(
                u
                for u, it in replay.item_of.items()
                if it.id == c["item"] and u not in replay.copies
            )
            c.update(seen.get((by_url[url], ids[c["claim"]]), {}))
        keys = {v: k for k, v in ids.items()}
        holder["best"] = {
            replay.item_of[url].id: {keys[cid]: s for cid, s in best_of[item_id].items()}
            for item_id, url in urls.items()
            if url not in replay.copies
        }
        return found

    bench._candidates = candidates
    result = bench.run({"stance_model": "builtin", "set": args.set, "calibrate": True})
    desk = SETS[args.set]()
    out = {
        "set": args.set,
        "floor": args.floor,
        "claims": {c.id: c.split for c in desk.claims.values()},
        "labels": {i.id: [i.claim_id, i.label] for i in desk.items},
        "best": holder["best"],
        "candidates": result["candidates"],
    }
    path = args.out or Path(".cache") / f"{args.set}.json"
    path.write_text(json.dumps(out) + "\n")
    print(path, len(out["candidates"]), "candidates")


if __name__ == "__main__":
    main(sys.argv[1:])
