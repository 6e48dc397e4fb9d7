from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.databases import drop_created
from tests.support.embedders import HashingEmbedder
from tests.support.servers import LocalServer, SlackAPI
from tests.support.timeshift import shift_wall_clock

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


@pytest.fixture(scope="session")
def real_embedder():  # type: ignore[no-untyped-def]
    """The default model, loaded once for the whole test session."""
    from monitor.judge.embed import shared_embedder

    return shared_embedder("all-MiniLM-L6-v2")


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """With MONITOR_TEST_POSTGRES, drop the per-test databases at the end of the session."""
    yield
    drop_created()
