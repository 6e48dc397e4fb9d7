"""FNC-1 train split by claim: what the stance model trains, tunes and is reported on.

FNC-1 headlines are rewordings of about 190 claims, each paired with many bodies. A split by
body puts every claim on both sides, so it rewards remembering claims. Here the unit is the
**claim**: a connected component of the graph whose nodes are headlines and bodies and whose
edges are the *related* pairs (agree, disagree, discuss). Unrelated pairs are left out of the
graph on purpose: FNC-1 made them by pairing headlines with random bodies, so they would join
every claim into one component.

Components are shuffled with ``numpy.random.RandomState(seed)`` (sorted first, so the result
depends on the seed alone) and dealt out in that order: each goes to the part it leaves least
full, where a part's fullness is the largest of its related pairs, its disagree pairs and its
claims, each over the part's share of the total (report ``REPORT_SHARE``, validation
``VALIDATION_SHARE``, train the rest). Headlines and bodies that have no related pair are
components of their own and are dealt out the same way, by count. A related pair falls in the
part of its component. An unrelated pair is kept only where its headline and its body fall in
the same part (otherwise it would bring a claim or a body of one part into another) and is
dropped otherwise: about a third of all pairs.

- ``train``: trained on;
- ``validation``: for choosing settings and checkpoints;
- ``report``: claims never trained, tuned or selected on; only reported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.judge.fnc import Pair

SEED = 13
REPORT_SHARE = 0.2
VALIDATION_SHARE = 0.1
DEV_SHARE = 0.2  # of the bodies, in the split by body
PARTS = ("train", "validation", "report")


@dataclass(frozen=True)
class ClaimSplit:
    """The three parts of a claim split, and which part each headline and body fell in."""

    train: list[Pair]
    validation: list[Pair]
    report: list[Pair]
    part_of: dict[str, str]  # node ("h:" + headline or "b:" + body id) -> part
    component: dict[str, str]  # node -> its claim (the component's root node)
    dropped: int  # unrelated pairs whose headline and body fell in different parts

    def part(self, name: str) -> list[Pair]:
        if name not in PARTS:
            raise ValueError(f"no part {name!r}; parts: {', '.join(PARTS)}")
        selected: list[Pair] = getattr(self, name)
        return selected


def split_bodies(body_ids: Iterable[str], seed: int = SEED) -> tuple[set[str], set[str]]:
    """Train and dev Body IDs of the older split by body: 20% of the bodies held out."""
    ids = sorted(set(body_ids), key=lambda b: (len(b), b))
    np.random.RandomState(seed).shuffle(ids)
    cut = int(len(ids) * (1 - DEV_SHARE))
    return set(ids[:cut]), set(ids[cut:])


def _find(parent: dict[str, str], node: str) -> str:
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:  # path compression
        parent[node], node = root, parent[node]
    return root


def claim_components(pairs: Sequence[Pair]) -> dict[str, str]:
    """Node -> its component's root, over the related pairs (every node of ``pairs`` included)."""
    parent: dict[str, str] = {}
    for pair in pairs:
        parent.setdefault("h:" + pair.headline, "h:" + pair.headline)
        parent.setdefault("b:" + pair.body_id, "b:" + pair.body_id)
    for pair in pairs:
        if pair.label not in (None, "unrelated"):
            a, b = _find(parent, "h:" + pair.headline), _find(parent, "b:" + pair.body_id)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {node: _find(parent, node) for node in parent}


def split_by_claim(pairs: Sequence[Pair], seed: int = SEED) -> ClaimSplit:
    """Split labelled FNC-1 pairs by claim (see the module docstring for exactly how)."""
    component = claim_components(pairs)
    members: dict[str, list[str]] = {}
    for node, root in component.items():
        members.setdefault(root, []).append(node)
    related = Counter(
        component["h:" + p.headline] for p in pairs if p.label not in (None, "unrelated")
    )
    disagree = Counter(component["h:" + p.headline] for p in pairs if p.label == "disagree")
    roots = sorted(members)
    order = np.random.RandomState(seed).permutation(len(roots))
    claims = Counter({root: 1 for root in related})
    part_of_root = _deal([roots[i] for i in order], (related, disagree, claims))
    part_of = {node: part_of_root[root] for node, root in component.items()}
    parts: dict[str, list[Pair]] = {name: [] for name in PARTS}
    dropped = 0
    for pair in pairs:
        head, body = part_of["h:" + pair.headline], part_of["b:" + pair.body_id]
        if head == body:
            parts[head].append(pair)
        else:  # only unrelated pairs can join two components
            dropped += 1
    return ClaimSplit(
        parts["train"], parts["validation"], parts["report"], part_of, component, dropped
    )


def _deal(roots: Sequence[str], weights: Sequence[Counter[str]]) -> dict[str, str]:
    """Components in shuffled order, each to the part it leaves least full.

    A part's fullness is the largest of its counts (related pairs, disagree pairs, claims) over
    that count's target (its share of the total): so each part gets about its share of the
    claims, of their pairs and of the rare contradictions, and no part is filled by one large
    claim alone. Components without related pairs (lone headlines or bodies) are dealt the same
    way by count.
    """
    heavy = [r for r in roots if weights[0][r] > 0]
    light = [r for r in roots if weights[0][r] == 0]
    return _fill(heavy, [{r: w[r] for r in heavy} for w in weights]) | _fill(
        light, [dict.fromkeys(light, 1)]
    )


def _fill(roots: Sequence[str], sizes: Sequence[dict[str, int]]) -> dict[str, str]:
    shares = {"train": 1 - REPORT_SHARE - VALIDATION_SHARE}
    shares |= {"validation": VALIDATION_SHARE, "report": REPORT_SHARE}
    totals = [max(sum(size.values()), 1) for size in sizes]
    filled = {name: [0] * len(sizes) for name in PARTS}
    out: dict[str, str] = {}
    for root in roots:

        def fullness(name: str, root: str = root) -> tuple[float, int]:
            counts = zip(filled[name], sizes, totals, strict=True)
            ratio = max(
                (done + size[root]) / (shares[name] * total) for done, size, total in counts
            )
            return ratio, PARTS.index(name)

        part = min(PARTS, key=fullness)
        out[root] = part
        filled[part] = [done + size[root] for done, size in zip(filled[part], sizes, strict=True)]
    return out


def describe(split: ClaimSplit) -> dict[str, dict[str, int]]:
    """Pairs per label and claims per part: the figures docs/stance.md quotes."""
    out: dict[str, dict[str, int]] = {}
    for name in PARTS:
        pairs = split.part(name)
        counts = Counter(str(p.label) for p in pairs)
        claims = {split.component["h:" + p.headline] for p in pairs if p.label != "unrelated"}
        out[name] = {
            "pairs": len(pairs),
            **{label: counts[label] for label in ("agree", "disagree", "discuss", "unrelated")},
            "headlines": len({p.headline for p in pairs}),
            "bodies": len({p.body_id for p in pairs}),
            "claims": len(claims),
        }
    return out
