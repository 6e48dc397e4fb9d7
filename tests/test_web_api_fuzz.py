"""The REST API fuzzed with schemathesis against its own OpenAPI schema: no server errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from monitor.types import Role
from tests.support.servers import LocalServer
from tests.support.web_desk import WebDesk, make_desk

EXAMPLES = 25  # per operation: enough to find unhandled input, quick enough for every run


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    desk = make_desk(tmp_path, feed_server.url)
    yield desk
    desk.fetcher.close()


def test_the_api_answers_anything_without_a_server_error(desk: WebDesk) -> None:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", desk.app)
    headers = {"Authorization": f"Bearer {desk.tokens[Role.EDITOR]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        fuzz()
