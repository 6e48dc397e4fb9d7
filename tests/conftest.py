from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import drop_created
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, SlackAPI
from tests.support.timeshift import shift_wall_clock

CACHE_ENV = "MONITOR_EMBEDDING_CACHE_DIR"
SHIFTED_DAYS = shift_wall_clock()  # before the loop below clears MONITOR_TEST_SHIFT_DAYS

# Tests never read a developer's own configuration.
for name in list(os.environ):
    if name.startswith("MONITOR_") or name == "SLACK_BOT_TOKEN":
        del os.environ[name]


def pytest_report_header() -> str:
    return f"wall clock shifted by {SHIFTED_DAYS} days" if SHIFTED_DAYS else ""


@pytest.fixture
def feed_server() -> Iterator[LocalServer]:
    with LocalServer() as server:
        yield server


@pytest.fixture
def slack_api() -> Iterator[SlackAPI]:
    with SlackAPI() as server:
        yield server


@pytest.fixture(scope="session", autouse=True)
def embedding_exports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache of ONNX exports for the session: the default backend exports a model once, and
    every test that runs it on default settings (and every process such a test starts, which
    inherits the environment) reuses that export; tests pass nothing for it."""
    cache = tmp_path_factory.mktemp("embedding-exports")
    os.environ[CACHE_ENV] = str(cache)
    yield cache
    os.environ.pop(CACHE_ENV, None)


@pytest.fixture(scope="session")
def real_embedder(embedding_exports: Path):  # type: ignore[no-untyped-def]
    """The default model on the default backend (ONNX Runtime, exported once a session), as the
    service builds it from default settings; loaded once for the whole test session."""
    from monitor.app import make_embedder
    from monitor.settings import load_settings

    return make_embedder(load_settings())


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """With MONITOR_TEST_POSTGRES, drop the per-test databases at the end of the session."""
    yield
    drop_created()
