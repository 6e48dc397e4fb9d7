"""The written training pairs (``bench/written/``): invented events in the desk export's format,
readable by ``monitor stance tune --items``, labelled as docs/stance.md defines, and about no
claim a desk set holds (docs/stance.md, "Training"; docs/stance-research.md, rounds 18 and 19).

The first batch (``security``, ``politics``, ``science``) teaches that a negation word is not a
denial; the second (``*-2``) teaches mentions that carry a position without taking one, and
contradictions by another account."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bench import deskset
from monitor.judge.desk_tuning import read_items

WRITTEN = Path(__file__).parents[1] / "bench" / "written"
FILES = sorted(WRITTEN.glob("*.jsonl"))
FIRST = [f for f in FILES if not f.stem.endswith("-2")]
SECOND = [f for f in FILES if f.stem.endswith("-2")]
# Each claim's labels, per batch.
MIX = {
    "first": Counter(supports=3, contradicts=3, mentions=3, unrelated=1),
    "second": Counter(supports=2, contradicts=3, mentions=4, unrelated=1),
}
# The mention forms of the second batch.
MENTION_FORMS = {
    "two-accounts",
    "moving-estimate",
    "no-admission",
    "investigation",
    "inconclusive-evidence",
    "unverified-claim",
    "plan",
}
LABELS = {"supports", "contradicts", "mentions", "unrelated"}


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_there_are_two_batches_of_three_files_of_three_hundred_pairs() -> None:
    assert [f.name for f in FIRST] == ["politics.jsonl", "science.jsonl", "security.jsonl"]
    assert [f.name for f in SECOND] == ["politics-2.jsonl", "science-2.jsonl", "security-2.jsonl"]
    assert [len(read_items(f)) for f in FILES] == [300] * 6


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_claim_has_its_batchs_mix_of_labels(path: Path) -> None:
    per_claim: dict[str, Counter[str]] = {}
    for row in rows(path):
        assert row["label"] in LABELS, row["item"]
        assert row["item"].startswith(row["claim_key"] + "-"), row["item"]
        per_claim.setdefault(row["claim_key"], Counter())[row["label"]] += 1
    assert len(per_claim) == 30
    mix = MIX["second" if path in SECOND else "first"]
    for key, labels in per_claim.items():
        assert labels == mix, key


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_stances_name_their_holder_and_reported_denials_are_supports(path: Path) -> None:
    for row in rows(path):
        if row["label"] in {"supports", "contradicts"}:
            assert row["attribution"], f"{row['item']}: who holds the stance"
        if row["label"] == "unrelated":
            assert row["attribution"] is None, row["item"]
        if row["reported_denial"]:
            assert row["label"] == "supports", row["item"]


@pytest.mark.parametrize("path", FIRST, ids=lambda p: p.name)
def test_each_claim_teaches_that_a_negation_word_is_not_a_denial(path: Path) -> None:
    """A support worded with a negation and a mention with a non-denying negation, per claim."""
    patterns: dict[str, set[str]] = {}
    for row in rows(path):
        patterns.setdefault(row["claim_key"], set()).add(row["pattern"])
    for key, seen in patterns.items():
        assert {"negated-support", "non-denial-negation", "adjacent"} <= seen, key


@pytest.mark.parametrize("path", SECOND, ids=lambda p: p.name)
def test_each_claim_teaches_other_accounts_and_mentions_that_take_no_side(path: Path) -> None:
    """Two contradictions by another account (no denial word), three forms of mention."""
    accounts: Counter[str] = Counter()
    forms: dict[str, set[str]] = {}
    for row in rows(path):
        if row["pattern"] == "other-account":
            assert row["label"] == "contradicts", row["item"]
            words = set(f"{row['title']} {row['body']}".lower().replace(".", " ").split())
            assert not words & {"not", "no", "never", "denied", "denies", "false"}, row["item"]
            accounts[row["claim_key"]] += 1
        if row["label"] == "mentions":
            assert row["pattern"] in MENTION_FORMS, row["item"]
            forms.setdefault(row["claim_key"], set()).add(row["pattern"])
    assert len(accounts) == 30 and min(accounts.values()) >= 2
    assert all(len(seen) >= 3 for seen in forms.values()), forms


def test_no_item_repeats_and_no_claim_is_a_desk_sets() -> None:
    items = [row["item"] for path in FILES for row in rows(path)]
    assert len(items) == len(set(items))
    desk_claims = {
        claim.text.casefold() for load in deskset.SETS.values() for claim in load().claims.values()
    }
    written = {row["claim"].casefold() for path in FILES for row in rows(path)}
    assert not written & desk_claims
