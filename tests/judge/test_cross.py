"""The cross-encoder stance model: windows, loading, training, the shipped weights."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.errors import ModelError
from monitor.judge import cross
from monitor.judge.builtin import BuiltinStance
from monitor.judge.cross import MODEL_DIR, CrossEncoderStance, Window, body_window, window
from monitor.judge.cross_training import Recipe, fit, prepare, tune_bias
from monitor.judge.embed import Embedder
from monitor.judge.reading import Candidate, read_candidates, read_kept
from monitor.judge.stance import StanceQuery
from monitor.types import Stance
from tests.support.cli import run_cli
from tests.support.fnc import claims_fnc
from tests.support.models import tiny_bert_config

DRONES = "Iran supplies Shahed attack drones to Russia"


def test_the_window_reads_the_title_then_the_sentences_closest_to_the_claim() -> None:
    sentences = [
        "The weather in Tehran was mild on Monday.",
        "Officials said Iran has supplied hundreds of drones to Russia.",
        "Markets were calm.",
        "Russia used the drones against power stations.",
    ]
    text, passages = window(DRONES, sentences, lead="Drone deliveries", how=Window(words=20))
    assert passages == [
        "Drone deliveries",
        "Officials said Iran has supplied hundreds of drones to Russia.",
        "Russia used the drones against power stations.",
    ]
    assert text == " ".join(passages)


def test_a_window_with_a_cue_weight_also_reads_a_passage_that_takes_a_position() -> None:
    sentences = [
        "Officials said Iran has supplied hundreds of drones to Russia.",
        "Russia used the drones against power stations in winter.",
        "The whole story is a hoax, the ministry said.",
    ]
    plain = window(DRONES, sentences, how=Window(words=20))[1]
    cued = window(DRONES, sentences, how=Window(words=20, cue_weight=3.0))[1]
    assert "The whole story is a hoax, the ministry said." not in plain
    assert cued[:2] == [sentences[0], "The whole story is a hoax, the ministry said."]


def test_a_body_window_reads_the_matched_passage_first_and_never_repeats_one() -> None:
    body = "Markets were calm on Monday in the capital. Tehran denied sending drones to Russia."
    _, passages = body_window(DRONES, body, first="Markets were calm on Monday in the capital.")
    assert passages == [
        "Markets were calm on Monday in the capital.",
        "Tehran denied sending drones to Russia.",
    ]


def tiny_base(directory: Path) -> Path:
    """A 1-layer BERT with the default model's tokenizer, as a base to fine-tune."""
    from transformers import BertModel

    tokenizer, config = tiny_bert_config()
    BertModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("cross")
    data = claims_fnc(root / "fnc")
    base = tiny_base(root / "base")
    fit(prepare(data), base, root / "model", frozen=0, log=lambda _: None)
    return base, root / "model"


def test_training_is_seeded_and_writes_a_model_with_its_figures(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    base, model = trained
    again = fit(prepare(claims_fnc(tmp_path / "fnc")), base, tmp_path / "m", frozen=0, log=print)
    manifest = json.loads((model / "manifest.json").read_text())
    assert again.sha256 == manifest["sha256"]
    assert manifest["report"]["pairs"] > 0 and manifest["validation"]["pairs"] > 0
    assert manifest["examples"]["deny:disagree"] > 0  # synthetic denials of train claims


def test_a_recipe_sets_the_window_the_model_is_trained_on_and_read_with(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    base, _ = trained
    recipe = Recipe(epochs=1, window=Window(tokens=24, words=12), batch=8)
    prepared = prepare(claims_fnc(tmp_path / "fnc"), recipe=recipe)
    assert max(len(e.text.split()) for e in prepared.validation) < max(
        len(e.text.split()) for e in prepare(claims_fnc(tmp_path / "fnc2")).validation
    )
    fit(prepared, base, tmp_path / "short", frozen=0, log=lambda _: None)
    manifest = json.loads((tmp_path / "short" / "manifest.json").read_text())
    assert (manifest["max_tokens"], manifest["window_words"], manifest["epochs"]) == (24, 12, 1)
    assert manifest["recipe"]["batch"] == 8
    assert CrossEncoderStance(tmp_path / "short").window == Window(tokens=24, words=12)


def test_a_manifest_that_names_no_window_reads_as_v1_did_and_a_bad_one_is_refused(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "model"
    shutil.copytree(trained[1], copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    for key in ("max_tokens", "window_words", "cue_weight"):
        manifest.pop(key)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert CrossEncoderStance(copy).window == Window(tokens=64, words=50, cue_weight=0.0)
    (copy / "manifest.json").write_text(json.dumps({**manifest, "max_tokens": 100_000}))
    with pytest.raises(ModelError, match="window"):
        CrossEncoderStance(copy).classify([StanceQuery(DRONES, ("p",))])


def test_a_checkpoint_of_another_recipe_is_refused_not_mixed_in(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    base, _ = trained
    data = claims_fnc(tmp_path / "fnc")
    checkpoint = tmp_path / "ckpt"
    one = Recipe(epochs=1, batch=1, window=Window(tokens=24, words=12))
    fit(prepare(data, recipe=one), base, None, frozen=0, checkpoint=checkpoint, log=print)
    assert (checkpoint / "checkpoint.pt").exists()
    other = Recipe(epochs=1, batch=2, window=Window(tokens=24, words=12))
    with pytest.raises(ModelError, match="another training run"):
        fit(prepare(data, recipe=other), base, None, frozen=0, checkpoint=checkpoint, log=print)


def test_the_classifier_answers_every_query_with_a_quote_and_relatedness(
    trained: tuple[Path, Path],
) -> None:
    queries = [
        StanceQuery(DRONES, ("Tehran denied sending any drones.",), "Drones", "Tehran denied it."),
        StanceQuery(DRONES, ("Iran sent drones to Russia.", "Russia used them.")),
        StanceQuery(DRONES, ()),
        StanceQuery(" ".join([DRONES] * 12), ("A claim longer than the model reads.",)),
    ]
    results = CrossEncoderStance(trained[1]).classify(queries)
    assert len(results) == 4
    for result in results:
        assert result.stance in (Stance.SUPPORTS, Stance.CONTRADICTS, Stance.MENTIONS)
        assert 0.0 <= result.related <= 1.0 and 0.0 <= result.confidence <= 1.0
    assert results[1].quote in ("Iran sent drones to Russia.", "Russia used them.")


def test_weights_that_do_not_match_their_checksum_are_refused(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    copy = tmp_path / "model"
    shutil.copytree(trained[1], copy)
    data = bytearray((copy / "model.safetensors").read_bytes())
    data[-1] ^= 1
    (copy / "model.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        CrossEncoderStance(copy).classify([StanceQuery(DRONES, ("p",))])


def _no_tokenizer(model: Path) -> None:
    (model / "tokenizer.json").unlink()


def _bad_tokenizer(model: Path) -> None:
    (model / "tokenizer.json").write_text("{}")


def _weights_not_safetensors(model: Path) -> None:
    (model / "model.safetensors").write_bytes(b"not safetensors")
    manifest = json.loads((model / "manifest.json").read_text())
    manifest["sha256"] = hashlib.sha256(b"not safetensors").hexdigest()
    (model / "manifest.json").write_text(json.dumps(manifest))


def _config_of_another_shape(model: Path) -> None:
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "intermediate_size": 48}))


def _window_too_wide(model: Path) -> None:
    manifest = json.loads((model / "manifest.json").read_text())
    (model / "manifest.json").write_text(json.dumps({**manifest, "max_tokens": 100_000}))


@pytest.mark.parametrize(
    ("breaks", "problem"),
    [
        (_no_tokenizer, "tokenizer.json: No such file"),
        (_bad_tokenizer, "tokenizer.json: "),
        (_weights_not_safetensors, "weights not readable with its config: .*deserializing"),
        (_config_of_another_shape, "weights not readable with its config: .*loading state_dict"),
        (_window_too_wide, "the manifest.s window .* does not fit a model of 128 tokens"),
    ],
)
def test_a_broken_model_folder_is_a_model_error_naming_the_folder_and_the_problem(
    trained: tuple[Path, Path], tmp_path: Path, breaks: Callable[[Path], None], problem: str
) -> None:
    broken = tmp_path / "model"
    shutil.copytree(trained[1], broken)
    breaks(broken)
    with pytest.raises(ModelError, match=f"{re.escape(str(broken))}: {problem}"):
        CrossEncoderStance(broken).load()


def _start_env(tmp_path: Path, stance_model: str) -> dict[str, str]:
    return {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        "MONITOR_WATCHLISTS": str(tmp_path),
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_HTTP_PORT": "0",
        "MONITOR_EMBEDDING_BACKEND": "torch",  # no export to make: the stance model is tested
        "MONITOR_STANCE_MODEL": stance_model,
    }


def _started(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Path], list[int], list[int]]:
    """Models loaded (their folders), how many had been when each scheduler started (it
    returns at once instead of polling) and ``monitor web`` servings (none happens)."""
    import uvicorn

    from monitor.scheduler import MonitorScheduler

    loads: list[Path] = []
    loaded_at_start: list[int] = []
    served: list[int] = []
    load = cross._Loaded

    def counted(directory: Path, device: str) -> cross._Loaded:
        loads.append(directory)
        return load(directory, device)

    monkeypatch.setattr(cross, "_Loaded", counted)
    monkeypatch.setattr(MonitorScheduler, "start", lambda _: loaded_at_start.append(len(loads)))
    monkeypatch.setattr(uvicorn, "run", lambda _app, **options: served.append(options["port"]))
    return loads, loaded_at_start, served


def test_run_and_worker_do_not_start_with_a_stance_model_that_cannot_load_and_web_does(
    trained: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "model"
    shutil.copytree(trained[1], broken)
    _no_tokenizer(broken)
    loads, loaded_at_start, served = _started(monkeypatch)
    env = _start_env(tmp_path, str(broken))
    for command in ("run", "worker"):
        result = run_cli([command], env=env)
        assert result.exit_code == 1, (command, result.output)
        assert (
            f"error: MONITOR_STANCE_MODEL={broken}: stance model not readable at {broken}: "
            "tokenizer.json: No such file or directory" in result.output
        )
    assert loaded_at_start == [] and len(loads) == 2  # no scheduler started
    web = run_cli(["web"], env=env)
    assert web.exit_code == 0, web.output
    assert served == [0] and len(loads) == 2  # web judges nothing: it loads no stance model


def test_class_offsets_are_tuned_to_the_validation_figures() -> None:
    import numpy as np

    # The model under-calls the second class; an offset for it fixes every row.
    probabilities = np.array([[0.1, 0.5, 0.1, 0.3]] * 4 + [[0.1, 0.6, 0.2, 0.1]] * 4)
    bias = tune_bias(probabilities, [3] * 4 + [1] * 4)
    assert bias[3] > 0.5 and bias[1] == 0.0


shipped = pytest.mark.skipif(not MODEL_DIR.is_dir(), reason="no shipped cross-encoder")


@pytest.fixture(scope="module")
def shipped_model() -> CrossEncoderStance:
    return CrossEncoderStance()


@pytest.mark.model
@shipped
def test_a_worker_loads_the_shipped_stance_model_at_start_and_web_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads, loaded_at_start, served = _started(monkeypatch)
    env = _start_env(tmp_path, "crossencoder")
    web = run_cli(["web"], env=env)
    assert web.exit_code == 0, web.output
    assert served == [0] and loads == []
    worker = run_cli(["worker"], env=env)
    assert worker.exit_code == 0, worker.output
    assert loads == [MODEL_DIR] and loaded_at_start == [1]  # before its first poll
    loaded = f"stance model cross-encoder {MODEL_DIR} loaded in"
    assert re.search(rf"{re.escape(loaded)} \d+\.\d s", worker.output), worker.output


@pytest.mark.model
@shipped
@pytest.mark.parametrize(
    "passage",
    [
        "Iran's foreign ministry denied that it has supplied drones to Russia.",
        "Tehran rejected the reports that it sent Shahed drones to Moscow as baseless.",
    ],
)
def test_the_shipped_model_reads_a_reported_denial_as_a_contradiction(
    shipped_model: CrossEncoderStance, passage: str
) -> None:
    [result] = shipped_model.classify([StanceQuery(DRONES, (passage,), body=passage)])
    assert result.stance is Stance.CONTRADICTS
    assert result.related > 0.5
    assert result.quote == passage


@pytest.mark.model
@shipped
def test_the_shipped_model_finds_unrelated_news_unrelated(
    shipped_model: CrossEncoderStance,
) -> None:
    passage = "The city council approved a new budget for road repairs on Tuesday."
    [result] = shipped_model.classify([StanceQuery(DRONES, (passage,), body=passage)])
    assert result.related < 0.5


class _Reading(CrossEncoderStance):
    """The shipped model, keeping every window its network is asked to read."""

    def __init__(self, relatedness: BuiltinStance) -> None:
        super().__init__(relatedness=relatedness)
        self.windows: list[str] = []

    def probabilities(self, pairs, progress=iter):  # type: ignore[no-untyped-def]
        self.windows += [window for _, window in pairs]
        return super().probabilities(pairs, progress)


@pytest.mark.model
@shipped
def test_only_candidates_that_can_become_evidence_are_read_by_the_network(
    real_embedder: Embedder,
) -> None:
    # The built-in model says first whether each item bears on the claim; the cross-encoder
    # reads the stance of those that can become evidence only, and reads them as it would have.
    items = [
        ("Kyiv says Iranian drones hit power plants", "Russia launched Iranian-made Shahed "
         "drones at Ukraine's power plants overnight, Ukraine's air force said."),
        ("Tehran rejects drone claims", "Iran's foreign ministry denied that it has supplied "
         "any drones to Russia for use in Ukraine."),
        ("Council passes road budget", "The city council approved a new budget for road "
         "repairs on Tuesday."),
    ]  # fmt: skip
    candidates = [Candidate(DRONES, title, body, (title, body), (body,)) for title, body in items]
    model = _Reading(BuiltinStance(real_embedder))
    everything = read_candidates(model, candidates)
    assert everything[2].related < 0.5 < min(everything[0].related, everything[1].related)
    model.windows.clear()
    kept = read_kept(model, candidates, lambda n, related: related >= 0.5)
    assert kept[2] is None
    for alone, among_all in zip(kept[:2], everything[:2], strict=True):
        assert alone is not None
        assert (alone.result.stance, alone.result.quote, alone.holder) == (
            among_all.result.stance,
            among_all.result.quote,
            among_all.holder,
        )
        # Batched with other windows, the network may differ in the last bits.
        assert alone.result.confidence == pytest.approx(among_all.result.confidence, abs=1e-4)
        assert alone.related == pytest.approx(among_all.related, abs=1e-4)
    assert model.windows and not any("road" in window for window in model.windows)
    # A model whose relatedness comes with its stance reads every candidate.
    assert all(read_kept(BuiltinStance(real_embedder), candidates, lambda n, related: False))


def test_the_stance_commands_refuse_a_model_they_cannot_run(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "fnc")
    env = {"MONITOR_STANCE_MODEL": "none"}
    result = run_cli(["stance", "eval", "--data", str(data)], env=env)
    assert result.exit_code == 1
    assert "set it to crossencoder or builtin" in result.output


@pytest.mark.model
@shipped
def test_eval_scores_the_held_out_claims_of_the_split(tmp_path: Path) -> None:
    from monitor.judge.fnc import read_pairs
    from monitor.judge.splits import split_by_claim

    data = claims_fnc(tmp_path / "fnc")
    env = {"MONITOR_STANCE_MODEL": "crossencoder"}
    result = run_cli(["stance", "eval", "--data", str(data), "--json"], env=env)
    assert result.exit_code == 0, result.output
    held_out = split_by_claim(read_pairs(data / "train_stances.csv")).report
    scores = json.loads(result.output[result.output.index("{") :])  # after the progress bar
    assert scores["pairs"] == len(held_out)


def test_train_names_the_recipes_it_knows(tmp_path: Path) -> None:
    data = claims_fnc(tmp_path / "fnc")
    result = run_cli(
        ["stance", "train", "--data", str(data), "--recipe", "v9", "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 1
    assert "--recipe 'v9': choose one of v1, v3 (v3: the shipped model's)" in result.output
    assert not (tmp_path / "m").exists()
    both = ["--recipe", "v3", "--outside", str(tmp_path), "--out", str(tmp_path / "m")]
    result = run_cli(["stance", "train", "--data", str(data), *both])
    assert result.exit_code == 1 and "leave out --recipe" in result.output
    builtin = ["--model", "builtin", "--recipe", "v1", "--out", str(tmp_path / "b.npz")]
    result = run_cli(["stance", "train", "--data", str(data), *builtin])
    assert result.exit_code == 1 and "--recipe: for the crossencoder only" in result.output
    result = run_cli(["stance", "train", "--data", str(data), "--synthetic", "40"])
    assert result.exit_code == 1 and "--synthetic is for builtin" in result.output
    result = run_cli(
        ["stance", "train", "--data", str(data), "--model", "builtin", "--synthetic", "40"]
    )
    assert result.exit_code == 1 and "give --out" in result.output
    assert not (tmp_path / "m").exists() and not (tmp_path / "b.npz").exists()
