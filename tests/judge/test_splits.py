"""The FNC-1 split by claim: connected components, unrelated pairs, shares, seed."""

from __future__ import annotations

from monitor.judge.fnc import Pair
from monitor.judge.splits import PARTS, claim_components, describe, split_by_claim


def claims_dataset(claims: int = 40, bodies_per_claim: int = 5) -> list[Pair]:
    """Each claim has two wordings and its own bodies; unrelated pairs join claims at random."""
    pairs = []
    for c in range(claims):
        for b in range(bodies_per_claim):
            body = f"{c}-{b}"
            label = ("agree", "disagree", "discuss")[(c + b) % 3]
            pairs.append(Pair(f"claim {c} wording 0", body, label))
            if b % 2:
                pairs.append(Pair(f"claim {c} wording 1", body, "discuss"))
            other = (c * 7 + b) % claims
            if other != c:
                pairs.append(Pair(f"claim {other} wording 0", body, "unrelated"))
    return pairs


def test_components_follow_related_pairs_only() -> None:
    pairs = [
        Pair("a1", "1", "agree"),
        Pair("a2", "1", "discuss"),
        Pair("a2", "2", "disagree"),
        Pair("b1", "3", "agree"),
        Pair("b1", "2", "unrelated"),
    ]
    component = claim_components(pairs)
    assert component["h:a1"] == component["h:a2"] == component["b:1"] == component["b:2"]
    assert component["h:b1"] == component["b:3"] != component["h:a1"]


def test_no_claim_headline_or_body_is_in_two_parts() -> None:
    split = split_by_claim(claims_dataset())
    seen: dict[str, str] = {}
    for name in PARTS:
        for pair in split.part(name):
            for node in (
                "h:" + pair.headline,
                "b:" + pair.body_id,
                split.component["h:" + pair.headline],
            ):
                assert seen.setdefault(node, name) == name, node


def test_unrelated_pairs_across_parts_are_dropped_and_counted() -> None:
    pairs = claims_dataset()
    split = split_by_claim(pairs)
    kept = sum(len(split.part(name)) for name in PARTS)
    related = [p for p in pairs if p.label != "unrelated"]
    assert kept + split.dropped == len(pairs)
    assert sum(len([p for p in split.part(n) if p.label != "unrelated"]) for n in PARTS) == len(
        related
    )
    assert split.dropped > 0
    assert any(p.label == "unrelated" for name in PARTS for p in split.part(name))


def test_parts_get_about_their_share_of_claims_and_the_split_is_seeded() -> None:
    pairs = claims_dataset()
    figures = describe(split_by_claim(pairs))
    assert (
        figures["train"]["claims"],
        figures["validation"]["claims"],
        figures["report"]["claims"],
    ) == (28, 4, 8)
    assert figures["report"]["disagree"] > 0 and figures["validation"]["disagree"] > 0
    assert split_by_claim(pairs) == split_by_claim(pairs)
    assert split_by_claim(pairs, seed=1) != split_by_claim(pairs)
