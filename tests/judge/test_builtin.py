"""The built-in stance model: checksum, deterministic training, FNC-1 commands."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.judge import features as F
from monitor.judge.builtin import MANIFEST_FILE, MODEL_FILE, BuiltinStance, StanceWeights
from monitor.judge.fnc import LABELS, read_bodies, read_pairs
from monitor.judge.splits import split_by_claim
from monitor.judge.stance import StanceQuery
from monitor.judge.training import output_paths, split_bodies, synthetic, train
from monitor.types import Stance
from tests.support.cli import run_cli
from tests.support.embedders import HashingEmbedder
from tests.support.fnc import claims_fnc

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


def test_weights_without_the_feature_space_are_refused(tmp_path: Path) -> None:
    old, manifest = tmp_path / "old.npz", tmp_path / "old.json"
    with np.load(MODEL_FILE) as npz:
        arrays = {k: npz[k] for k in npz.files if k != "idf_words"}
    sha = StanceWeights(arrays, "all-MiniLM-L6-v2").save(old)
    manifest.write_text(json.dumps({"sha256": sha, "embedding_model": "all-MiniLM-L6-v2"}))
    with pytest.raises(ModelError, match="no idf_words"):
        StanceWeights.load(old, manifest)


def test_the_ensemble_averages_its_members() -> None:
    weights = StanceWeights.load()
    one = {
        k: v[:1] if k.startswith("b_") and k[2] in "wb" else v for k, v in weights.arrays.items()
    }
    x = np.random.RandomState(0).normal(size=(4, weights.arrays["b_mean"].shape[0]))
    members = [
        StanceWeights(
            {**one, **{k: weights.arrays[k][i : i + 1] for k in ("b_w0", "b_b0", "b_w1", "b_b1")}},
            "m",
        ).stance(x)
        for i in range(len(weights.arrays["b_w0"]))
    ]
    assert len(members) > 1
    assert np.allclose(weights.stance(x), np.mean(members, axis=0), atol=1e-6)


def _article(text: str, embedder: HashingEmbedder) -> F.Article:
    sentences = [s.strip() + "." for s in text.split(".") if s.strip()]
    return F.Article.build(sentences, embedder.encode(sentences))


def test_context_cues_see_a_denial_next_to_the_claims_words() -> None:
    embedder = HashingEmbedder()
    claim = "Volcano erupts on Iceland island"
    prototypes = embedder.encode(
        ["The report is false.", "It may be true.", "Officials confirmed."]
    )
    denial = _article("Officials denied that the volcano erupts. Tourists came anyway.", embedder)
    report = _article("Officials said that the volcano erupts. Tourists came anyway.", embedder)
    refute_near = 5  # REFUTE: near-claim rate, lead, overall, weighted share, claim, near key words
    vector = embedder.encode([claim])[0]
    with_denial = F.context_cues(claim, vector, denial, prototypes)
    without = F.context_cues(claim, vector, report, prototypes)
    assert with_denial[refute_near] == 1 and without[refute_near] == 0
    assert with_denial[0] > without[0]
    assert len(with_denial) == 56 and F.context_cues(
        claim, vector, F.Article.build([], np.zeros((0, 1), np.float32)), prototypes
    ).shape == (56,)


def test_idf_weights_rare_words_more_and_overlap_uses_them() -> None:
    idf = F.Idf.fit(["volcano erupts iceland", "volcano quiet", "volcano island", "erupts again"])
    assert "iceland" not in idf.weights and idf.unseen > idf.weights["volcano"]
    assert idf.weights["erupts"] > idf.weights["volcano"]
    embedder = HashingEmbedder()
    claim = "Volcano erupts"
    vector = embedder.encode([claim])[0]
    about = F.overlap(claim, vector, _article("The volcano erupts again today.", embedder), idf)
    other = F.overlap(claim, vector, _article("A bank was robbed downtown today.", embedder), idf)
    assert about[0] > 0.5 > other[0] == 0.0
    assert about[2] == 1.0 and other[2] == 0.0


def test_sentences_are_embedded_in_one_order_whatever_the_hash_seed() -> None:
    # Equal-length sentences used to follow set order (PYTHONHASHSEED), changing the batches,
    # the vectors in their last bits and so the trained weights from run to run.
    embedder = HashingEmbedder()
    texts = {
        str(i): f"Sentence number {w} is here today. Another one {w} follows it."
        for i, w in enumerate("abcdefgh")
    }
    BuiltinStance(embedder).articles(texts)
    [embedded] = embedder.calls
    assert embedded == sorted(embedded, key=lambda s: (len(s), s)) and len(embedded) == 16


def test_training_is_deterministic(tmp_path: Path) -> None:
    data = synthetic_fnc(tmp_path / "data")
    first = train(data, HashingEmbedder(), tmp_path / "a.npz", tmp_path / "a.json")
    second = train(data, HashingEmbedder(), tmp_path / "b.npz", tmp_path / "b.json")
    assert first.sha256 == second.sha256
    assert hashlib.sha256((tmp_path / "a.npz").read_bytes()).hexdigest() == first.sha256
    assert first.dev.count > 0 and first.train_pairs > first.dev.count


def test_out_may_name_a_folder_or_the_weights_file(tmp_path: Path) -> None:
    # A folder given as --out once cost a whole training run: the save failed at the end.
    assert output_paths(None) == (MODEL_FILE, MANIFEST_FILE)
    folder = tmp_path / "models"
    folder.mkdir()
    for given in (folder, tmp_path / "new-folder"):
        assert output_paths(given) == (given / MODEL_FILE.name, given / MANIFEST_FILE.name)
    assert output_paths(tmp_path / "b.npz") == (tmp_path / "b.npz", tmp_path / "b.json")
    model, manifest = output_paths(tmp_path / "new-folder")
    report = train(synthetic_fnc(tmp_path / "data"), HashingEmbedder(), model, manifest)
    assert json.loads(manifest.read_text())["sha256"] == report.sha256


def test_the_split_holds_out_a_fifth_of_the_bodies() -> None:
    train_ids, dev_ids = split_bodies(str(i) for i in range(100))
    assert len(dev_ids) == 20 and not train_ids & dev_ids
    assert split_bodies(str(i) for i in range(100)) == (train_ids, dev_ids)


def test_weights_for_another_embedding_model_are_refused() -> None:
    with pytest.raises(ModelError, match="reads all-MiniLM-L6-v2 embeddings, not test-hashing"):
        BuiltinStance(HashingEmbedder()).classify([StanceQuery("c", ("p",))])
    with pytest.raises(ModelError, match="reads all-MiniLM-L6-v2 embeddings, not test-hashing"):
        BuiltinStance(HashingEmbedder()).load()  # as `monitor run` and `worker` do at start


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
    assert 0.5 < result.related <= 1.0


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

    predicted = run_cli(
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

    evaluated = run_cli(["stance", "eval", "--stances", str(stances), "--bodies", str(bodies)])
    assert evaluated.exit_code == 0, evaluated.output
    assert "FNC-1 score:" in evaluated.output and "macro-F1:" in evaluated.output


def test_trained_on_the_claim_split_it_reports_on_claims_it_never_saw(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "data")
    report = train(data, HashingEmbedder(), tmp_path / "c.npz", tmp_path / "c.json", split="claim")
    parts = split_by_claim([p for p in read_pairs(data / "train_stances.csv") if p.label])
    assert report.dev.count == len(parts.report) > 0
    assert report.train_pairs == len(parts.train) + len(parts.validation)
    seen = {p.headline for p in parts.train + parts.validation}
    assert not seen & {p.headline for p in parts.report}


def test_training_adds_synthetic_items_of_the_training_claims_only(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "data")
    parts = split_by_claim([p for p in read_pairs(data / "train_stances.csv") if p.label])
    bodies = read_bodies(data / "train_bodies.csv")
    made, texts = synthetic(parts.train, bodies, 40)
    seen = {p.headline for p in parts.train}
    assert made and {p.headline for p in made} <= seen
    assert {p.label for p in made} == set(LABELS)  # denials, hedges, assertions, off-claim
    assert set(texts) == {p.body_id for p in made} and not set(texts) & set(bodies)
    denial = next(p for p in made if p.label == "disagree")
    assert set(F.words(texts[denial.body_id])) & (F.REFUTE | {"not", "no"})
    assert synthetic(parts.train, bodies, 0) == ([], {})
    out, manifest = tmp_path / "c.npz", tmp_path / "c.json"
    report = train(data, HashingEmbedder(), out, manifest, split="claim", synthetic_per_claim=40)
    trained_on = synthetic(parts.train + parts.validation, bodies, 40)[0]
    assert report.synthetic_pairs == len(trained_on) > 0
    assert json.loads(manifest.read_text())["synthetic_pairs"] == len(trained_on)


def test_a_claim_split_model_is_never_written_over_the_shipped_one(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "data")
    before = MODEL_FILE.read_bytes()
    result = run_cli(
        ["stance", "train", "--model", "builtin", "--split", "claim", "--data", str(data)]
    )
    assert result.exit_code != 0 and "give --out" in result.output
    assert MODEL_FILE.read_bytes() == before
