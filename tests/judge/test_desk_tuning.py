"""Tuning the cross-encoder on items labelled as a desk reads them (a desk set, or editors'
exported corrections): the file, the windows, the tuned model and its manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.errors import ModelError
from monitor.judge.cross import CLASSES, MODEL_DIR, CrossEncoderStance, _query_window
from monitor.judge.desk_tuning import (
    DeskItemsError,
    DeskRecord,
    DeskTuning,
    examples,
    negated,
    query,
    read_items,
    tune,
)
from monitor.judge.stance import StanceQuery
from monitor.types import Stance
from tests.support.cli import run_cli
from tests.support.embedders import HashingEmbedder

CLAIM = "North Korea is supplying artillery shells to Russia"
ITEMS = [
    {"claim": CLAIM, "title": "Pyongyang denies arms deal", "body": "North Korea's foreign ministry denied sending shells to Russia.", "label": "contradicts"},
    {"claim": CLAIM, "title": "Kirby: shells are flowing", "body": "NSC spokesman John Kirby said North Korea has sent artillery shells to Russia.", "label": "supports"},
    {"claim": CLAIM, "title": "Analysts weigh a deal", "body": "Analysts say a deal could see shells go to Moscow.", "label": "mentions"},
    {"claim": CLAIM, "title": "Council passes budget", "body": "The city council approved road repairs.", "label": "unrelated", "model": "mentions"},
]  # fmt: skip
shipped = pytest.mark.skipif(not MODEL_DIR.is_dir(), reason="no shipped cross-encoder")


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def test_desk_items_are_read_and_extra_fields_ignored(tmp_path: Path) -> None:
    items = read_items(write(tmp_path / "i.jsonl", [json.dumps(i) for i in ITEMS] + [""]))
    assert [i.label for i in items] == ["contradicts", "supports", "mentions", "unrelated"]
    assert items[0] == DeskRecord(CLAIM, ITEMS[0]["title"], ITEMS[0]["body"], "contradicts")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "line 2: not JSON"),
        ("[1, 2]", "line 2: not a JSON object"),
        (json.dumps({**ITEMS[0], "label": "agree"}), "line 2: label 'agree' is none of"),
        (json.dumps({**ITEMS[0], "label": 3}), "line 2: 'label' must be a string"),
        (json.dumps({**ITEMS[0], "claim": " "}), "line 2: needs a claim and a title or body"),
        (json.dumps({**ITEMS[0], "title": "", "body": ""}), "line 2: needs a claim"),
    ],
)
def test_a_bad_line_is_named_with_its_number_and_problem(
    tmp_path: Path, line: str, problem: str
) -> None:
    path = write(tmp_path / "bad.jsonl", [json.dumps(ITEMS[0]), line])
    with pytest.raises(DeskItemsError, match=problem):
        read_items(path)


def test_an_empty_or_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeskItemsError, match="no items"):
        read_items(write(tmp_path / "empty.jsonl", [""]))
    with pytest.raises(DeskItemsError, match="cannot read"):
        read_items(tmp_path / "absent.jsonl")


def test_an_item_is_read_through_the_passages_closest_to_the_claim() -> None:
    record = DeskRecord(
        CLAIM,
        "Budget news",
        "The council met on Tuesday. Pyongyang has shipped artillery shells to Moscow. "
        "Roads will be repaired.",
        "supports",
    )
    asked = query(record, HashingEmbedder())
    assert asked.passages[0] == "Pyongyang has shipped artillery shells to Moscow."
    assert (asked.claim, asked.title, asked.body) == (CLAIM, record.title, record.body)


@shipped
def test_negated_claims_read_each_related_item_against_the_claims_negation(
    tmp_path: Path,
) -> None:
    records = read_items(write(tmp_path / "i.jsonl", [json.dumps(i) for i in ITEMS]))
    model = CrossEncoderStance()
    plain = examples(records, HashingEmbedder(), model)
    both = examples(records, HashingEmbedder(), model, negated_claims=True)
    assert both[::2][:3] == plain[:3] and both[-1] == plain[-1]  # the unrelated item once
    negation = "It is not true that North Korea is supplying artillery shells to Russia"
    assert negated(CLAIM + ". ") == negation
    mirrored = {(e.claim, e.text, CLASSES[e.label]) for e in both[1:6:2]}
    assert mirrored == {
        (negation, plain[0].text, "agree"),  # the denial supports the negation
        (negation, plain[1].text, "disagree"),  # the spokesman's account contradicts it
        (negation, plain[2].text, "discuss"),  # a hedge stays a mention
    }
    assert len(both) == 7 and {e.source for e in both} == {"desk", "desk-negated"}


@pytest.mark.model
@shipped
def test_tuning_writes_a_model_that_loads_and_records_what_it_was_tuned_on(
    tmp_path: Path,
) -> None:
    records = read_items(write(tmp_path / "i.jsonl", [json.dumps(i) for i in ITEMS]))
    out = tmp_path / "tuned"
    how = DeskTuning(epochs=1, batch=4, negated_claims=True)
    sha = tune(records, HashingEmbedder(), out, how=how, source="i.jsonl", log=lambda _: None)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sha256"] == sha and manifest["tuned_from"]["model"] == MODEL_DIR.name
    assert manifest["tuned_on"]["items"] == {
        "contradicts": 1, "supports": 1, "mentions": 1, "unrelated": 1,
    }  # fmt: skip
    assert manifest["tuned_on"]["negated_claims"] == 3  # the related items, read both ways
    assert manifest["negated_claims"] is True
    command = "monitor stance tune --items i.jsonl --out tuned --negated-claims"
    assert manifest["command"] == command
    assert manifest["made_by"].endswith(f"from {MODEL_DIR.name}")
    tuned, base = CrossEncoderStance(out), CrossEncoderStance()
    assert tuned.window == base.window  # it reads as its base does
    asked = StanceQuery(CLAIM, ("Pyongyang denied sending shells.",), body="Pyongyang denied.")
    [result] = tuned.classify([asked])
    assert result.stance is Stance.CONTRADICTS and 0.0 <= result.related <= 1.0
    assert _query_window(asked, tuned.window)[0]
    with pytest.raises(ModelError, match="another folder than its base"):
        tune(records, HashingEmbedder(), out, base=out)


def test_the_tune_command_names_the_bad_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.jsonl", [json.dumps({**ITEMS[0], "label": "maybe"})])
    result = run_cli(["stance", "tune", "--items", str(path), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "bad.jsonl, line 1: label 'maybe' is none of" in result.output
    assert not (tmp_path / "m").exists()


@pytest.mark.model
@shipped
def test_a_tuned_folder_is_a_stance_model_the_service_runs(tmp_path: Path) -> None:
    from monitor.app import make_relevance, make_stance
    from monitor.settings import load_settings

    records = read_items(write(tmp_path / "i.jsonl", [json.dumps(i) for i in ITEMS]))
    out = tmp_path / "tuned"
    tune(records, HashingEmbedder(), out, how=DeskTuning(epochs=1, batch=4), log=lambda _: None)
    settings = load_settings(stance_model=str(out))
    classifier = make_stance(settings, HashingEmbedder())
    assert isinstance(classifier, CrossEncoderStance) and classifier.directory == out
    assert make_relevance(settings).uses_related  # calibrated as the shipped cross-encoder
    nli = load_settings(stance_model=str(tmp_path / "not-a-model"))
    assert not make_relevance(nli).uses_related


def test_replayed_fnc_examples_are_a_seeded_sample_of_the_train_part(tmp_path: Path) -> None:
    from monitor.judge.desk_tuning import replay_examples
    from tests.support.fnc import claims_fnc

    data = claims_fnc(tmp_path / "fnc")
    first, again = replay_examples(data, 5), replay_examples(data, 5)
    assert len(first) == 5 and first == again
    assert replay_examples(data, 5, seed=14) != first


def test_replay_without_fnc_data_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "i.jsonl", [json.dumps(ITEMS[0])])
    args = ["stance", "tune", "--items", str(path), "--out", str(tmp_path / "m"), "--replay", "9"]
    result = run_cli(args)
    assert result.exit_code == 1 and "--replay needs --data" in result.output
