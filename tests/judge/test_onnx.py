"""The ONNX Runtime backend: torch's vectors, a cached export, int8 under its own key."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import numpy as np
import pytest

from monitor.app import make_embedder
from monitor.errors import ConfigError, ModelError
from monitor.judge import onnx_export
from monitor.judge.builtin import BuiltinStance
from monitor.judge.embed import (
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
)
from monitor.settings import load_settings
from tests.support.cli import run_cli
from tests.support.embedders import HashingEmbedder
from tests.support.models import tiny_sentence_model

SENTENCES = [
    "The ministry of health confirmed three new cases of measles in the northern province.",
    "Officials denied reports that the nuclear plant had been shut down after the earthquake.",
    "A spokesperson said the ceasefire would hold through the weekend.",
    "The central bank raised interest rates by a quarter of a percentage point on Thursday.",
    "Inflation slowed for a third month as energy prices fell.",
    "Police said there was no evidence the fire was started deliberately.",
    "The company recalled 40,000 cars over a faulty brake sensor.",
    "Researchers found no link between the vaccine and the reported heart problems.",
    "The mayor resigned on Monday, two days after the audit was published.",
    "Rail freight carried munitions through the border crossing, according to customs records.",
    "The government says unemployment fell to 4.1% in March.",
    "Drone deliveries of medicine began in three rural districts last week.",
    "Witnesses described a loud explosion shortly before midnight.",
    "The claim that the bridge was sold to a foreign investor is false, the ministry said.",
    "Wheat prices rose sharply after the harvest forecast was cut.",
    "Doctors warned that hospitals are running out of beds.",
    "The minister insisted the budget figures had been checked twice.",
    "Satellite images show new construction at the airbase.",
    "The president will not seek a third term, his office announced.",
    "Fact-checkers rated the viral video as misleading.",
    "Protesters gathered outside parliament for a fourth day.",
    "The report was retracted after errors were found in its data.",
    "Shipping through the strait has resumed, the port authority said.",
    "Scientists expect the comet to pass within 4 million kilometres of Earth.",
    "No, the city did not ban bicycles from the old town.",
    "Exports to the region doubled in the first quarter.",
    "Rescue teams are still searching for two missing climbers.",
    "The court postponed the verdict until next month.",
    "Electricity was restored to most homes by Sunday evening.",
    "Le gouvernement a démenti toute hausse des impôts pour 2025.",
]
ODD = [
    "",
    " ",
    "\n\t",
    "?",
    "Ünïcödé: «Brüssel» — 北京 发布 声明; Москва заявила 😀",
    "ALL CAPS HEADLINE",
]
# Far past the model's 256 word pieces: sentence-transformers cuts it, so must the ONNX side.
LONG = " ".join(SENTENCES * 3)
TEXTS = [*SENTENCES, *ODD, LONG, LONG[:1200]]


@pytest.fixture(scope="module")
def onnx_cache(embedding_exports: Path) -> Path:
    """The session's export cache: the default model is exported once for every test."""
    return embedding_exports


@pytest.fixture(scope="module")
def onnx_fp32(onnx_cache: Path) -> OnnxEmbedder:
    """The default model's export, in an embedder of its own (one thread)."""
    return OnnxEmbedder("all-MiniLM-L6-v2", onnx_cache, threads=1)


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    """torch on purpose: sentence-transformers itself, the reference ONNX is held to."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


@pytest.mark.model
def test_the_default_backend_gives_torchs_vectors_under_torchs_key(
    real_embedder: Embedder, torch_embedder: SentenceTransformerEmbedder
) -> None:
    assert isinstance(real_embedder, OnnxEmbedder) and not real_embedder.quantized
    ours = real_embedder.encode(TEXTS)
    torch = torch_embedder.encode(TEXTS)
    assert ours.shape == torch.shape == (len(TEXTS), 384)
    assert ours.dtype == np.float32
    assert cosines(ours, torch).min() >= 0.9999
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert real_embedder.model_key == torch_embedder.model_key == "all-MiniLM-L6-v2"


@pytest.mark.model
def test_long_texts_are_cut_at_the_models_limit(onnx_fp32: OnnxEmbedder) -> None:
    cut, longer = onnx_fp32.encode([LONG, LONG + " Nothing past the limit counts."])
    short, whole = onnx_fp32.encode([SENTENCES[0], " ".join(SENTENCES[:2])])
    assert float(cut @ longer) >= 0.99999
    assert float(short @ whole) < 0.99


@pytest.mark.model
def test_order_and_batching_do_not_change_vectors(onnx_fp32: OnnxEmbedder) -> None:
    together = onnx_fp32.encode(TEXTS)
    alone = np.stack([onnx_fp32.encode([t])[0] for t in reversed(TEXTS)])[::-1]
    assert cosines(together, alone).min() >= 0.99999
    assert onnx_fp32.encode([]).shape == (0, 384)


@pytest.mark.model
def test_int8_stays_close_and_has_its_own_key(
    torch_embedder: SentenceTransformerEmbedder, onnx_cache: Path
) -> None:
    int8 = OnnxEmbedder("all-MiniLM-L6-v2", onnx_cache, quantized=True, threads=1)
    agreement = cosines(int8.encode(TEXTS), torch_embedder.encode(TEXTS))
    # Measured: mean 0.990, lowest 0.968 (per-tensor weights gave a mean of 0.96).
    assert agreement.mean() >= 0.985
    assert agreement.min() >= 0.95
    assert int8.model_key == "all-MiniLM-L6-v2+onnx-int8"


@pytest.mark.model
def test_a_second_embedder_reuses_the_export(
    onnx_fp32: OnnxEmbedder, onnx_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = onnx_fp32.encode(SENTENCES[:3])
    # The session's cache may also hold exports of the small models other tests make.
    exports = {p: p.stat().st_mtime_ns for p in onnx_cache.glob("all-MiniLM-L6-v2-*/model.onnx")}
    assert len(exports) == 1

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "_export", no_export)
    again = OnnxEmbedder("all-MiniLM-L6-v2", onnx_cache).encode(SENTENCES[:3])
    assert np.array_equal(first, again)
    assert {
        p: p.stat().st_mtime_ns for p in onnx_cache.glob("all-MiniLM-L6-v2-*/model.onnx")
    } == exports


@pytest.mark.parametrize(
    ("key", "readable"),
    [
        ("all-MiniLM-L6-v2", True),
        ("all-MiniLM-L6-v2+onnx-int8", True),
        ("all-mpnet-base-v2+onnx-int8", False),
        ("all-MiniLM-L6-v2+onnx-int4", False),
    ],
)
def test_the_stance_model_reads_int8_embeddings_of_its_own_model(key: str, readable: bool) -> None:
    embedder = HashingEmbedder()
    embedder.model_key = key
    model = BuiltinStance(embedder)
    if readable:
        assert model.weights.embedding_model == "all-MiniLM-L6-v2"
    else:
        with pytest.raises(ModelError, match=re.escape(f"not {key}")):
            _ = model.weights


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_any_plain_model_gives_torchs_vectors(tmp_path: Path, pooling: str) -> None:
    path = str(tiny_sentence_model(tmp_path, pooling))
    ours = OnnxEmbedder(path, tmp_path / "cache").encode(TEXTS)
    torch = SentenceTransformerEmbedder(path).encode(TEXTS)
    assert ours.shape == (len(TEXTS), 32)
    assert cosines(ours, torch).min() >= 0.9999


def test_a_changed_model_is_exported_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = tiny_sentence_model(tmp_path / "a")
    before = OnnxEmbedder(str(path), cache).encode(SENTENCES[:4])
    changed = tiny_sentence_model(tmp_path / "b", seed=1)
    (path / "model.safetensors").write_bytes((changed / "model.safetensors").read_bytes())
    after = OnnxEmbedder(str(path), cache).encode(SENTENCES[:4])
    torch = SentenceTransformerEmbedder(str(path)).encode(SENTENCES[:4])
    assert len(list(cache.glob("st-*/model.onnx"))) == 2
    assert cosines(after, torch).min() >= 0.9999
    assert cosines(before, after).max() < 0.99


def test_models_that_are_more_than_transformer_and_pooling_are_refused(tmp_path: Path) -> None:
    dense = OnnxEmbedder(
        str(tiny_sentence_model(tmp_path / "dense", dense=True)), tmp_path / "cache"
    )
    with pytest.raises(ModelError, match=r"Transformer → Pooling → Dense.*BACKEND=torch"):
        dense.encode(["x"])
    pooled_by_max = OnnxEmbedder(
        str(tiny_sentence_model(tmp_path / "max", "max")), tmp_path / "cache"
    )
    with pytest.raises(ModelError, match="pools by 'max'"):
        pooled_by_max.encode(["x"])
    assert not list((tmp_path / "cache").glob("*/model.onnx"))


def test_missing_or_broken_models_are_clear_errors(tmp_path: Path) -> None:
    missing = OnnxEmbedder(str(tmp_path / "no-such-model"), tmp_path / "cache")
    with pytest.raises(ModelError, match="never downloads"):
        missing.encode(["x"])
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "modules.json").write_text("[not json")
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="cannot load embedding model"):
        OnnxEmbedder(str(broken), tmp_path / "cache").encode(["x"])


def test_a_broken_export_is_a_clear_error(tmp_path: Path) -> None:
    path = tiny_sentence_model(tmp_path)
    cache = tmp_path / "cache"
    OnnxEmbedder(str(path), cache).encode(["x"])
    (export,) = cache.glob("st-*/model.onnx")
    export.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load the ONNX export"):
        OnnxEmbedder(str(path), cache).encode(["x"])


def test_threads_share_one_embedder(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(str(tiny_sentence_model(tmp_path)), tmp_path / "cache")
    expected = embedder.encode(TEXTS)
    results: list[np.ndarray] = []
    workers = [
        threading.Thread(target=lambda: results.append(embedder.encode(TEXTS))) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(results) == 4
    assert all(np.array_equal(r, expected) for r in results)


def test_settings_choose_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONITOR_EMBEDDING_CACHE_DIR")  # the session's, set by tests/conftest.py
    assert load_settings().embedding_backend == "onnx"
    settings = load_settings(data_dir=tmp_path, embedding_backend="onnx-int8", embedding_threads=2)
    embedder = make_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.cache_dir == tmp_path / "models"
    assert (embedder.quantized, embedder.threads) == (True, 2)
    assert embedder.model_key == "all-MiniLM-L6-v2+onnx-int8"
    custom = load_settings(embedding_backend="onnx", embedding_cache_dir=tmp_path / "exports")
    assert custom.resolved_embedding_cache_dir == tmp_path / "exports"


def test_bad_backend_settings_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_EMBEDDING_BACKEND", "tensorrt")
    with pytest.raises(ConfigError, match="embedding_backend"):
        load_settings()
    monkeypatch.setenv("MONITOR_EMBEDDING_BACKEND", "onnx")
    monkeypatch.setenv("MONITOR_EMBEDDING_DEVICE", "cuda")
    with pytest.raises(ConfigError, match="runs on the CPU only"):
        load_settings()
    monkeypatch.setenv("MONITOR_EMBEDDING_THREADS", "-1")
    with pytest.raises(ConfigError, match="embedding_threads"):
        load_settings(embedding_device="cpu")


def test_the_default_backend_is_onnx_on_the_cpu_and_torch_on_any_other_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().embedding_backend == "onnx"
    # Setting the device alone is no error: the backend the user did not choose follows it.
    monkeypatch.setenv("MONITOR_EMBEDDING_DEVICE", "cuda")
    on_gpu = load_settings()
    assert (on_gpu.embedding_backend, on_gpu.embedding_device) == ("torch", "cuda")
    embedder = make_embedder(on_gpu)  # not loaded: no GPU needed to build it
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.device == "cuda"
    monkeypatch.delenv("MONITOR_EMBEDDING_DEVICE")
    assert load_settings(embedding_device="mps").embedding_backend == "torch"
    config = tmp_path / "monitor.toml"
    config.write_text('embedding_device = "cuda:1"\n')
    assert load_settings(config).embedding_backend == "torch"
    # A backend that is chosen is kept: ONNX on a GPU is an error (test below), torch stays.
    assert load_settings(embedding_backend="torch").embedding_backend == "torch"
    with pytest.raises(ConfigError, match="needs embedding_backend torch"):
        load_settings(embedding_device="cuda", embedding_backend="onnx")


def _failing_replace(*args: object) -> None:
    raise OSError(28, "No space left on device")


def test_an_export_that_cannot_be_written_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tiny_sentence_model(tmp_path))
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(ModelError, match=r"cannot write the ONNX export .* in .*a-file/cache"):
        OnnxEmbedder(path, blocked / "cache").encode(["x"])
    cache = tmp_path / "cache"
    monkeypatch.setattr(onnx_export.os, "replace", _failing_replace)  # a full disk
    with pytest.raises(ModelError, match="No space left.*MONITOR_EMBEDDING_BACKEND=torch"):
        OnnxEmbedder(path, cache).encode(["x"])
    assert not list(cache.rglob("*.onnx"))  # nothing half-written is kept


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_cache_directory_without_write_permission_is_a_clear_error(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o555)
    with pytest.raises(ModelError, match=r"Permission denied.*MONITOR_EMBEDDING_CACHE_DIR"):
        OnnxEmbedder(str(tiny_sentence_model(tmp_path)), cache).encode(["x"])


def test_the_export_command_makes_the_export_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    env = {
        "MONITOR_EMBEDDING_MODEL": str(tiny_sentence_model(tmp_path)),
        "MONITOR_EMBEDDING_CACHE_DIR": str(cache),
    }
    made = run_cli(["embeddings", "export"], env=env)
    assert made.exit_code == 0, made.output
    (export,) = cache.glob("st-*/model.onnx")
    assert f"(onnx): export ready in {export.parent}" in made.output

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "_export", no_export)
    again = run_cli(["embeddings", "export"], env=env)
    assert again.exit_code == 0, again.output
    assert f"export ready in {export.parent}" in again.output
    torch = run_cli(["embeddings", "export"], env={**env, "MONITOR_EMBEDDING_BACKEND": "torch"})
    assert torch.exit_code == 0
    assert "MONITOR_EMBEDDING_BACKEND=torch: nothing to export" in torch.output


def test_the_service_does_not_start_when_the_export_cannot_be_made(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    env = {
        "MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}",
        "MONITOR_WATCHLISTS": str(tmp_path),
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
        "MONITOR_EMBEDDING_CACHE_DIR": str(blocked / "models"),
    }
    for command in ("worker", "web"):
        result = run_cli([command], env=env)
        assert result.exit_code == 1, (command, result.output)
        assert "cannot write the ONNX export of embedding model all-MiniLM-L6-v2" in result.output
        assert "MONITOR_EMBEDDING_BACKEND=torch" in result.output
