"""The frozen desk set (bench/deskset): its files load, follow the set's rules and stay frozen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import deskset
from bench.deskset import DeskSetError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def desk() -> deskset.DeskSet:
    return deskset.load()


def test_the_set_meets_the_issue_minimums(desk: deskset.DeskSet) -> None:
    labels = deskset.counts(desk)["label"]
    assert len(desk.items) >= 300
    assert len(desk.claims) >= 50
    assert labels["contradicts"] >= 60
    assert labels["mentions"] >= 60
    assert labels["supports"] >= 60
    assert labels["unrelated"] >= 30
    assert len({c.beat for c in desk.claims.values()}) >= 8


def test_every_item_pairs_with_a_known_claim_and_ids_are_unique(desk: deskset.DeskSet) -> None:
    ids = [i.id for i in desk.items]
    assert len(ids) == len(set(ids))
    assert {i.claim_id for i in desk.items} == set(desk.claims)


def test_the_split_is_by_claim_and_both_halves_have_every_label(desk: deskset.DeskSet) -> None:
    tune, report = desk.split("tune"), desk.split("report")
    assert len(tune) + len(report) == len(desk.items)
    assert not {i.claim_id for i in tune} & {i.claim_id for i in report}
    for half in (tune, report):
        assert {i.label for i in half} == set(deskset.LABELS)
    # About 40% of claims are for tuning; the report half is the larger.
    share = len(desk.claims_in("tune")) / len(desk.claims)
    assert 0.3 <= share <= 0.5


def test_stances_name_who_holds_them_and_unrelated_items_name_no_one(
    desk: deskset.DeskSet,
) -> None:
    for item in desk.items:
        if item.label in ("supports", "contradicts"):
            assert item.attribution, item.id
        if item.label == "unrelated":
            assert item.attribution is None, item.id
    # Primary news that recalls a denial in passing is recorded as such.
    assert any(i.reported_denial and i.label == "supports" for i in desk.items)


def test_the_files_are_frozen() -> None:
    for name, digest in deskset.FROZEN_SHA256.items():
        assert deskset.sha256(deskset.HERE / name) == digest, f"{name} changed after freezing"
    for name, digest in deskset.HOLDOUT_FROZEN_SHA256.items():
        path = deskset.HOLDOUT_DIR / name
        assert deskset.sha256(path) == digest, f"holdout/{name} changed after freezing"
    for name, digest in deskset.C_FROZEN_SHA256.items():
        assert deskset.sha256(deskset.C_DIR / name) == digest, f"c/{name} changed after freezing"
    for name, digest in deskset.D_FROZEN_SHA256.items():
        assert deskset.sha256(deskset.D_DIR / name) == digest, f"d/{name} changed after freezing"
    for folder, digests in deskset.TUNE_SETS_FROZEN_SHA256.items():
        for name, digest in digests.items():
            path = deskset.HERE / folder / name
            assert deskset.sha256(path) == digest, f"{folder}/{name} changed after freezing"


# Each later set, in the order the sets were built: its split, its least size. It shares no
# claim, claim text, item id or source page with the first set or any set built before it.
LATER_SETS = {
    "holdout": ("report", 125, 25),
    "c": ("tune", 250, 36),
    "d": ("report", 280, 36),
    "e": ("tune", 270, 36),
    "f": ("tune", 280, 36),
    "g": ("tune", 280, 36),
    "h": ("tune", 280, 36),
    "i": ("tune", 280, 36),
    "j": ("tune", 280, 36),
    "k": ("tune", 280, 36),
    "l": ("tune", 280, 36),
    "m": ("tune", 280, 36),
    "n": ("tune", 275, 36),
    "o": ("tune", 270, 35),
    "p": ("tune", 280, 36),
    "q": ("tune", 280, 36),
}
BUILT_IN_ORDER = ("main", *LATER_SETS)


@pytest.mark.parametrize("name", sorted(LATER_SETS))
def test_each_later_set_keeps_to_its_split_and_shares_nothing_with_the_sets_before(
    name: str,
) -> None:
    split, items, claims = LATER_SETS[name]
    before = BUILT_IN_ORDER[: BUILT_IN_ORDER.index(name)]
    later = deskset.SETS[name]()
    assert {claim.split for claim in later.claims.values()} == {split}
    assert len(later.items) >= items and len(later.claims) >= claims
    assert {i.label for i in later.items} == set(deskset.LABELS)
    for other in (deskset.SETS[earlier]() for earlier in before):
        assert not set(later.claims) & set(other.claims)
        assert not {x.text for x in later.claims.values()} & {x.text for x in other.claims.values()}
        assert not {i.id for i in later.items} & {i.id for i in other.items}
        assert not {i.source_url for i in later.items} & {i.source_url for i in other.items}


def test_research_may_develop_on_no_held_out_set() -> None:
    assert set(deskset.DEVELOPMENT) <= set(deskset.SETS)
    assert not set(deskset.DEVELOPMENT) & set(deskset.HELD_OUT)


def test_the_held_out_report_is_b_and_d_and_meets_the_issue_minimums() -> None:
    report, b, d = deskset.load_report(), deskset.load_holdout(), deskset.load_d()
    assert set(report.claims) == set(b.claims) | set(d.claims)
    assert report.items == b.items + d.items
    assert deskset.problems(report.claims.values(), report.items, deskset.REPORT_RULES) == []
    assert len(report.claims) >= 50 and len(report.items) >= 300


def test_the_documentation_records_the_frozen_digests_and_counts(desk: deskset.DeskSet) -> None:
    doc = (ROOT / "docs/deskset.md").read_text(encoding="utf-8")
    frozen = [
        deskset.FROZEN_SHA256,
        deskset.HOLDOUT_FROZEN_SHA256,
        deskset.C_FROZEN_SHA256,
        deskset.D_FROZEN_SHA256,
        *deskset.TUNE_SETS_FROZEN_SHA256.values(),
    ]
    for digest in [d for digests in frozen for d in digests.values()]:
        assert digest in doc
    labels = deskset.counts(desk)["label"]
    for label in deskset.LABELS:
        assert re.search(rf"\| {label} \| {labels[label]} \|", doc), label


def _copy(tmp_path: Path) -> tuple[Path, Path, list[dict[str, object]]]:
    claims = tmp_path / "claims.yaml"
    claims.write_bytes(deskset.CLAIMS_FILE.read_bytes())
    items = tmp_path / "items.jsonl"
    rows = [json.loads(line) for line in deskset.ITEMS_FILE.read_text().splitlines()]
    return claims, items, rows


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_an_item_for_an_unknown_claim_breaks_the_set(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    rows[0]["claim_id"] = "no-such-claim"
    _write(items, rows)
    with pytest.raises(DeskSetError, match="unknown claim no-such-claim"):
        deskset.load(claims, items)


def test_a_duplicate_item_id_breaks_the_set(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    rows[1]["id"] = rows[0]["id"]
    _write(items, rows)
    with pytest.raises(DeskSetError, match="duplicate item id"):
        deskset.load(claims, items)


def test_an_unknown_label_breaks_the_set(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    rows[0]["label"] = "agrees"
    _write(items, rows)
    with pytest.raises(DeskSetError, match="label 'agrees'"):
        deskset.load(claims, items)


def test_too_few_contradictions_break_the_set(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    contradictions = [r for r in rows if r["label"] == "contradicts"]
    keep = [r for r in rows if r["label"] != "contradicts"] + contradictions[:59]
    _write(items, keep)
    with pytest.raises(DeskSetError, match="59 contradicts items, fewer than 60"):
        deskset.load(claims, items)


def test_a_stance_without_attribution_breaks_the_set(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    row = next(r for r in rows if r["label"] == "contradicts")
    row["attribution"] = None
    _write(items, rows)
    with pytest.raises(DeskSetError, match="names no one"):
        deskset.load(claims, items)


def test_a_claim_with_a_made_up_split_breaks_the_set(tmp_path: Path) -> None:
    claims, items, _ = _copy(tmp_path)
    claims.write_text(claims.read_text().replace("split: tune", "split: dev", 1))
    items.write_bytes(deskset.ITEMS_FILE.read_bytes())
    with pytest.raises(DeskSetError, match="split 'dev'"):
        deskset.load(claims, items)


def test_a_set_held_out_from_tuning_refuses_tune_claims(tmp_path: Path) -> None:
    claims, items, rows = _copy(tmp_path)
    _write(items, rows)
    with pytest.raises(DeskSetError, match="in the tune split, which this set does not have"):
        deskset.load(claims, items, deskset.HOLDOUT_RULES)
