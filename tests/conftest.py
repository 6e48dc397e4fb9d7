from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from tests.databases import drop_created
from tests.servers import LocalServer, SlackAPI

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent

# Tests never read a developer's own configuration.
for name in list(os.environ):
    if name.startswith("MONITOR_") or name == "SLACK_BOT_TOKEN":
        del os.environ[name]


@pytest.fixture
def feed_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def slack_api() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The default model, loaded once for the whole test session."""
    from monitor.judge.embed import shared_embedder

    return shared_embedder("all-MiniLM-L6-v2")


class HashingEmbedder:
    """A deterministic stand-in for plumbing tests: bag of hashed words, L2-normalised."""

    model_key = "test-hashing"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,;:'\"!?()")
                if len(word) > 2:
                    out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """With MONITOR_TEST_POSTGRES, drop the per-test databases at the end of the session."""
    yield
    drop_created()
