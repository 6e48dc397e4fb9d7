"""The denials an alert lists beside its news, replayed over the development desk sets without a
model (docs/stance-research.md, section 30).

    python scripts/research/denials_dev.py [--sets main,c,e,...] [--misses] [--listed]
                                           [--save PATH] [--compare PATH]

For every ``supports`` item of a development set, the denials the pipeline would list beside
it (``monitor.judge.reading.reported_denials``, on the passages closest to the claim as
``attribution_dev.py`` ranks them) are replayed, and scored against the desk's
``reported_denial`` mark: how many of the items marked as reporting a denial list one, and how
many of those marked as reporting none list one anyway. ``--misses`` prints the marked items
that list none, with their passages outside the news and the speakers read in them;
``--listed`` the unmarked items that list one. ``--save`` / ``--compare`` as in
``attribution_dev.py``.

Only the development sets may be read here; the held-out judges (b/holdout, d, report) and
any set still to choose are refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from attribution_dev import idf_of, item_passages, lexical_closest

from bench import deskset
from bench.deskset import DEVELOPMENT
from monitor.judge.attribution import voices
from monitor.judge.reading import news_of, reported_denials


def run(name: str, args: argparse.Namespace, rows: dict[str, dict[str, object]]) -> list[int]:
    """[marked, marked and listed, unmarked, unmarked and listed] for the set ``name``."""
    if name not in DEVELOPMENT:
        raise SystemExit(f"{name!r} is not a development set ({', '.join(DEVELOPMENT)})")
    desk = deskset.SETS[name]()
    idf = idf_of(desk.items)
    counts = [0, 0, 0, 0]
    for item in desk.items:
        if item.label != "supports":
            continue
        claim = desk.claims[item.claim_id].text
        passages = item_passages(item)
        listed = reported_denials(claim, passages, lexical_closest(claim, passages, idf))
        marked = 0 if item.reported_denial else 2
        counts[marked] += 1
        counts[marked + 1] += bool(listed)
        rows[f"{name}/{item.id}"] = {
            "marked": item.reported_denial,
            "listed": [r.holder for r in listed],
        }
        if (args.misses and item.reported_denial and not listed) or (
            args.listed and listed and not item.reported_denial
        ):
            print(f"[{name}] {item.id} | {[r.holder for r in listed]} | claim: {claim[:90]}")
            news = news_of(passages)
            for passage in passages[:10]:
                if passage not in news:
                    found = [(v.holder, v.act.value) for v in voices(passage)][:3]
                    print(f"    {passage[:200]!r} {found}")
    return counts


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(DEVELOPMENT))
    parser.add_argument("--misses", action="store_true", help="marked items that list none")
    parser.add_argument("--listed", action="store_true", help="unmarked items that list one")
    parser.add_argument("--save", help="write each item's listed denials to this JSON file")
    parser.add_argument("--compare", help="print the items whose listing differs from a --save")
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, object]] = {}
    total = [0, 0, 0, 0]
    for name in args.sets.split(","):
        counts = run(name, args, rows)
        total = [a + b for a, b in zip(total, counts, strict=True)]
        print(
            f"{name}: marked {counts[1]}/{counts[0]} listed; "
            f"unmarked {counts[3]}/{counts[2]} listed"
        )
    print(f"all: marked {total[1]}/{total[0]} listed; unmarked {total[3]}/{total[2]} listed")
    if args.compare:
        before = json.loads(Path(args.compare).read_text())
        for key, row in rows.items():
            old = before.get(key)
            if old is not None and bool(old["listed"]) != bool(row["listed"]):
                sign = "+" if bool(row["listed"]) == row["marked"] else "-"
                print(f"{sign} {key}: {old['listed']} -> {row['listed']} (marked {row['marked']})")
    if args.save:
        Path(args.save).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
