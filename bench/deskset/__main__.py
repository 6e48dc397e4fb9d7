"""The desk sets as JSON lines for `monitor stance tune --items` (and any other reader):

    python -m bench.deskset export OUT.jsonl
        [--set main|c|e|f|g|h|i|j|k|l|m|n|o|p|q|holdout|d|report]

One line per item: claim, title, body, label (supports, contradicts, mentions, unrelated), who
holds the stance, and the item's and claim's ids. Desk sets B and D (``holdout``, ``d``, and the
two as ``report``) are for reading once and reporting, never for tuning: exporting them is
refused unless ``--i-will-not-tune-on-it``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.deskset import HELD_OUT, SETS, DeskSet


def records(desk: DeskSet) -> list[dict[str, str | None]]:
    return [
        {
            "claim": desk.claims[item.claim_id].text,
            "claim_key": item.claim_id,
            "item": item.id,
            "title": item.title,
            "body": item.body,
            "label": item.label,
            "attribution": item.attribution,
        }
        for item in desk.items
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.deskset")
    parser.add_argument("command", choices=["export"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--set", default="main", choices=sorted(SETS))
    parser.add_argument("--i-will-not-tune-on-it", action="store_true", dest="reading_only")
    args = parser.parse_args(argv)
    if args.set in HELD_OUT and not args.reading_only:
        parser.error(
            f"--set {args.set} is never tuned on; pass --i-will-not-tune-on-it to export it"
        )
    lines = [json.dumps(r, ensure_ascii=False) for r in records(SETS[args.set]())]
    args.out.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    print(f"wrote {len(lines)} items of desk set {args.set} to {args.out}")


if __name__ == "__main__":
    main()
