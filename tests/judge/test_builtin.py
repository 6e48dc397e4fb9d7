"""The built-in stance model: checksum, deterministic training, FNC-1 commands."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.errors import ModelError
from monitor.judge.builtin import MANIFEST_FILE, MODEL_FILE, BuiltinStance, StanceWeights
from monitor.judge.fnc import LABELS, read_pairs
from monitor.judge.stance import StanceQuery
from monitor.judge.training import split_bodies, train
from monitor.types import Stance
from tests.conftest import HashingEmbedder

FNC = Path(__file__).resolve().parents[3] / "shared/datasets/fnc1"


def synthetic_fnc(directory: Path) -> Path:
    """A small FNC-format data set with the four labels, written by the test."""
    topics = [
        "volcano erupts island",
        "bank robbery downtown",
        "comet passes earth",
        "mayor resigns office",
        "river floods valley",
        "robot wins chess",
    ]
    templates = {
        "agree": "Officials confirmed that the {t} happened on Monday.",
        "disagree": "Authorities denied reports that the {t} happened and called them a hoax.",
        "discuss": "It is unclear whether the {t} happened, according to unverified reports.",
    }
    bodies, stances = [], []
    for body_id in range(60):
        topic = topics[body_id % len(topics)]
        label = ["agree", "disagree", "discuss"][body_id % 3]
        text = templates[label].format(t=topic) + " Reporters gathered more details later."
        bodies.append([str(body_id), text])
        stances.append([f"The {topic} happened", str(body_id), label])
        other = topics[(body_id + 1) % len(topics)]
        stances.append([f"The {other} happened", str(body_id), "unrelated"])
    directory.mkdir(parents=True, exist_ok=True)
    for name, header, rows in [
        ("train_bodies.csv", ["Body ID", "articleBody"], bodies),
        ("train_stances.csv", ["Headline", "Body ID", "Stance"], stances),
    ]:
        with (directory / name).open("w", newline="") as out:
            csv.writer(out).writerows([header, *rows])
    return directory


def test_shipped_weights_match_their_checksum() -> None:
    weights = StanceWeights.load()
    assert weights.classes == ["agree", "discuss", "disagree"] or set(weights.classes) == {
        "agree",
        "disagree",
        "discuss",
    }
    assert MODEL_FILE.stat().st_size < 5_000_000


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    copy, manifest = tmp_path / "m.npz", tmp_path / "m.json"
    shutil.copy(MODEL_FILE, copy)
    shutil.copy(MANIFEST_FILE, manifest)
    copy.write_bytes(copy.read_bytes() + b"x")
    with pytest.raises(ModelError, match="does not match"):
        StanceWeights.load(copy, manifest)


def test_training_is_deterministic(tmp_path: Path) -> None:
    data = synthetic_fnc(tmp_path / "data")
    first = train(data, HashingEmbedder(), tmp_path / "a.npz", tmp_path / "a.json")
    second = train(data, HashingEmbedder(), tmp_path / "b.npz", tmp_path / "b.json")
    assert first.sha256 == second.sha256
    assert hashlib.sha256((tmp_path / "a.npz").read_bytes()).hexdigest() == first.sha256
    assert first.dev.count > 0 and first.train_pairs > first.dev.count


def test_the_split_holds_out_a_fifth_of_the_bodies() -> None:
    train_ids, dev_ids = split_bodies(str(i) for i in range(100))
    assert len(dev_ids) == 20 and not train_ids & dev_ids
    assert split_bodies(str(i) for i in range(100)) == (train_ids, dev_ids)


def test_weights_for_another_embedding_model_are_refused() -> None:
    with pytest.raises(ModelError, match="reads all-MiniLM-L6-v2 embeddings, not test-hashing"):
        BuiltinStance(HashingEmbedder()).classify([StanceQuery("c", ("p",))])


@pytest.mark.model
def test_quote_of_a_contradiction_is_the_passage_that_denies(real_embedder) -> None:  # type: ignore[no-untyped-def]
    model = BuiltinStance(real_embedder)
    query = StanceQuery(
        "Iran supplies Shahed attack drones to Russia",
        ("Iran supplies drones to Russia, reports say.", "Tehran denied sending any drones."),
        title="t",
        body="Iran supplies drones to Russia, reports say. Tehran denied sending any drones.",
    )
    [result] = model.classify([query])
    assert result.stance is Stance.CONTRADICTS
    assert result.quote == "Tehran denied sending any drones."


@pytest.mark.model
@pytest.mark.skipif(not FNC.is_dir(), reason="FNC-1 data not beside the repository")
def test_predict_and_eval_commands_on_fnc_rows(tmp_path: Path) -> None:
    pairs = read_pairs(FNC / "train_stances.csv")
    _, dev_ids = split_bodies(p.body_id for p in pairs)
    chosen = sorted(dev_ids)[:4]
    rows = [p for p in pairs if p.body_id in chosen]
    stances, bodies, out = tmp_path / "s.csv", tmp_path / "b.csv", tmp_path / "p.csv"
    with stances.open("w", newline="") as handle:
        csv.writer(handle).writerows(
            [["Headline", "Body ID", "Stance"]] + [[p.headline, p.body_id, p.label] for p in rows]
        )
    with (
        (FNC / "train_bodies.csv").open(newline="") as source,
        bodies.open("w", newline="") as handle,
    ):
        writer = csv.writer(handle)
        for row in csv.reader(source):
            if row[0] == "Body ID" or row[0] in chosen:
                writer.writerow(row)
    runner = CliRunner()

    predicted = runner.invoke(
        app,
        [
            "stance",
            "predict",
            "--stances",
            str(stances),
            "--bodies",
            str(bodies),
            "--out",
            str(out),
        ],
    )
    assert predicted.exit_code == 0, predicted.output
    with out.open(newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [(r["Headline"], r["Body ID"]) for r in written] == [
        (p.headline, p.body_id) for p in rows
    ]
    assert {r["Stance"] for r in written} <= set(LABELS)

    evaluated = runner.invoke(
        app, ["stance", "eval", "--stances", str(stances), "--bodies", str(bodies)]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "FNC-1 score:" in evaluated.output and "macro-F1:" in evaluated.output
