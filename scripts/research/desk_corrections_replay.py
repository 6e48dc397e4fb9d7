"""Replaying editors' stance corrections over the first desk set: does a correction carry to
later items like the corrected one? (docs/stance-research.md, section 11).

    python scripts/research/desk_features.py FEATURES.json
    python scripts/research/desk_corrections_replay.py FEATURES.json

Each claim's items in publication order; the editor corrects every misread item; a later item
whose quote (or title) is within a cosine cut-off of a corrected one for the same claim takes
the corrected stance. Shown: stance accuracy over the related pairs, the corrections editors
had to make, and how many readings the carried corrections put right and wrong.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.deskset import load
from monitor.judge.embed import shared_embedder
from monitor.settings import Settings

CUT_OFFS = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01)


def main() -> None:
    rows = json.loads(Path(sys.argv[1]).read_text())
    items = {i.id: i for i in load().items}
    embedder = shared_embedder(Settings().embedding_model)
    related = [r for r in rows if r["gold"] != "unrelated"]
    order = sorted(
        range(len(related)),
        key=lambda n: (related[n]["claim"], items[related[n]["item"]].published or "", n),
    )
    for model in ("builtin", "cross"):
        by = {
            "quote": embedder.encode([r[model]["quote"] for r in related]),
            "title": embedder.encode([items[r["item"]].title for r in related]),
        }
        for what, vectors in by.items():
            for cut_off in CUT_OFFS:
                corrected: dict[str, list[tuple[int, str]]] = {}
                right = fixes = put_right = put_wrong = 0
                for n in order:
                    row = related[n]
                    base = shown = row[model]["primary"]
                    earlier = corrected.get(row["claim"], [])
                    if earlier:
                        similar = [float(vectors[n] @ vectors[m]) for m, _ in earlier]
                        best = int(np.argmax(similar))
                        if similar[best] >= cut_off:
                            shown = earlier[best][1]
                    if shown != base:
                        put_right += shown == row["gold"]
                        put_wrong += shown != row["gold"]
                    if shown == row["gold"]:
                        right += 1
                    else:
                        fixes += 1
                        corrected.setdefault(row["claim"], []).append((n, row["gold"]))
                print(
                    f"{model:8s} {what:5s} cut-off {cut_off:.2f}: accuracy "
                    f"{right / len(related):.3f}, corrections {fixes}, put right {put_right}, "
                    f"put wrong {put_wrong}"
                )


if __name__ == "__main__":
    main()
