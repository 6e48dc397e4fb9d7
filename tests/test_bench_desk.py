"""The desk bench scores what a desk saw in Slack against the desk set's labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.desk import Post, Replay, main, same_holder, score
from bench.deskset import SETS, DeskClaim, DeskItem, DeskSet


def item(item_id: str, claim: str, label: str, holder: str | None) -> DeskItem:
    return DeskItem(item_id, claim, "t", "b", label, holder, False, "u", "s", None, None)  # type: ignore[arg-type]


def test_same_holder_is_lenient_on_wording_and_strict_on_who() -> None:
    assert same_holder("Kirby", "NSC spokesman John Kirby")
    assert same_holder("Pyongyang", "North Korea's defence ministry")
    assert same_holder("IAEA inspectors", "International Atomic Energy Agency")
    assert same_holder("the outlet", "the outlet (AFP Fact Check)")
    assert not same_holder("the outlet", "NSC spokesman John Kirby")
    assert not same_holder("the White House", "Iran's foreign ministry")
    assert not same_holder(None, "Kirby")
    # a country's adjective names it as its possessive does
    assert same_holder(
        "Iran's foreign minister", "Iranian Foreign Minister Hossein Amir-Abdollahian"
    )
    assert not same_holder("Iran's foreign minister", "Israeli Foreign Minister Eli Cohen")
    # one country is not another because their names share a word
    assert not same_holder("British officials", "American officials")
    assert not same_holder("Washington", "London")
    assert not same_holder("European Commission", "African Union")
    # the publisher named on its own page is the outlet
    assert same_holder("FactCheck.org", "FactCheck.org", publisher="FactCheck.org")
    assert not same_holder("Reuters", "FactCheck.org", publisher="FactCheck.org")


def test_matching_stance_contradiction_and_attribution_figures() -> None:
    desk = DeskSet(
        {"c": DeskClaim("c", "claim", "beat", "report"), "d": DeskClaim("d", "x", "b", "report")},
        (
            item("s", "c", "supports", "NSC spokesman John Kirby"),
            item("k", "c", "contradicts", "Pyongyang"),
            item("m", "c", "mentions", None),
            item("u", "c", "unrelated", None),
            item("o", "d", "supports", "the outlet"),
        ),
    )
    url = {i.id: f"https://desk.bench.invalid/{i.id}" for i in desk.items}
    replay = Replay({url[i.id]: i for i in desk.items}, {})
    posts = [
        Post("c", url["s"], "supports", "John Kirby", False),
        Post("c", url["k"], "supports", "the outlet", False),  # wrong stance, wrong holder
        Post("c", url["u"], "contradicts", None, False),  # an alert on an adjacent item
        Post("d", url["s"], "mentions", None, False),  # an alert for another claim
    ]
    figures = score(desk, replay, posts, "report")
    assert figures["matching"]["recall"] == round(2 / 4, 3)
    assert figures["matching"]["precision"] == round(2 / 4, 3)
    assert figures["matching"]["precision_labelled"] == round(2 / 3, 3)
    assert figures["matching"]["alerts_on_unrelated_items"] == 1
    assert figures["matching"]["alerts_for_another_claim"] == 1
    assert figures["stance"]["accuracy"] == 0.5
    assert figures["contradiction"] == {
        "recall": 0.0,
        "precision": 0.0,
        "labelled": 1,
        "alerted": 1,
    }
    assert figures["attribution"]["accuracy"] == 0.5
    # One set's claims of a replay that published two: claim d's alert on c's item is d's.
    only_d = score(desk, replay, posts, "report", among={"d"})
    assert only_d["claims"] == 1 and only_d["related_pairs"] == 1
    assert only_d["matching"]["recall"] == 0.0
    assert only_d["matching"]["alerts_for_another_claim"] == 1
    only_c = score(desk, replay, posts, "report", among={"c"})
    assert only_c["matching"]["recall"] == round(2 / 3, 3)
    assert only_c["matching"]["alerts_for_another_claim"] == 0


def test_a_label_naming_the_publisher_is_the_outlet() -> None:
    assert same_holder("the outlet", "Check Your Fact", publisher="Check Your Fact")
    assert not same_holder("Check Your Fact", "NSC spokesman John Kirby", publisher="AP")


@pytest.mark.parametrize("held_out", ["holdout", "d", "report"])
def test_the_held_out_desk_sets_are_never_calibrated_on(
    held_out: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["--set", held_out, "--calibrate"])
    assert refused.value.code == 2
    assert f"--set {held_out} is never tuned on" in capsys.readouterr().err


@pytest.mark.parametrize("held_out", ["holdout", "d", "report"])
def test_the_held_out_desk_sets_are_not_exported_for_tuning(
    held_out: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.deskset.__main__ import main as deskset_main

    out = tmp_path / "items.jsonl"
    with pytest.raises(SystemExit) as refused:
        deskset_main(["export", str(out), "--set", held_out])
    assert refused.value.code == 2
    assert "never tuned on" in capsys.readouterr().err
    assert not out.exists()
    deskset_main(["export", str(out), "--set", held_out, "--i-will-not-tune-on-it"])
    assert out.read_text(encoding="utf-8").count("\n") == len(SETS[held_out]().items)
