"""What operators watch: `monitor status` and the Prometheus endpoint."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from monitor.logs import setup_logging
from monitor.types import Stance
from monitor.web.metrics import metrics_router
from tests.support.cli import run_cli
from tests.support.databases import database_url
from tests.support.desks import Desk
from tests.support.servers import SlackAPI, serving_app


def test_status_summarises_the_service_and_flags_trouble(
    tmp_path: Path, slack_api: SlackAPI
) -> None:
    desk = Desk(tmp_path, slack_api)
    desk.evidence("shells")
    desk.evidence("drones", Stance.CONTRADICTS)
    desk.near_miss("shells")
    env = {"MONITOR_DATABASE_URL": database_url(tmp_path / "desk.sqlite3")}

    healthy = run_cli(["status"], env=env, clock=desk.clock)
    assert healthy.exit_code == 0, healthy.output
    assert "3 pending" in healthy.output  # the contradiction also goes to #denials
    assert "last 24 h: 1 contradicts, 1 supports; 1 near misses waiting" in healthy.output
    assert "7 enabled" not in healthy.output and "2 enabled, 0 failing" in healthy.output

    slack_api.errors["#arms"] = "is_archived"
    desk.outbox().deliver()
    troubled = run_cli(["status"], env=env, clock=desk.clock)
    assert troubled.exit_code == 2
    assert "1 sent in the last 24 h" in troubled.output and "2 pending" in troubled.output
    assert "paused      #arms: paused: Slack refused the alert for #arms: is_archived" in (
        troubled.output
    )
    assert "needs care" in troubled.output


def test_metrics_expose_counters_and_queue_gauges(tmp_path: Path, slack_api: SlackAPI) -> None:
    desk = Desk(tmp_path, slack_api)
    desk.evidence("shells")
    desk.near_miss("drones")
    web = FastAPI()
    web.include_router(metrics_router(desk.repository, desk.clock))
    with serving_app(web) as url:
        before = httpx.get(f"{url}/metrics", timeout=10)
        assert before.status_code == 200
        assert "monitor_alerts_pending 1.0" in before.text
        assert "monitor_near_misses_waiting 1.0" in before.text
        desk.outbox().deliver()
        after = httpx.get(f"{url}/metrics", timeout=10).text
    assert "monitor_alerts_pending 0.0" in after
    assert 'monitor_alerts_total{result="sent"}' in after
    assert "monitor_alert_latency_seconds_count" in after


def test_logs_go_to_the_stderr_of_the_moment_never_to_a_closed_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A CLI run swaps stderr and closes its own when done; threads that log afterwards (a
    scheduler, an SMTP server) must write to the stderr in place then, not fail."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        swapped = io.StringIO()
        monkeypatch.setattr(sys, "stderr", swapped)
        setup_logging("INFO")
        logging.getLogger("monitor.test").info("while the CLI ran")
        monkeypatch.undo()
        swapped.close()
        logging.getLogger("monitor.test").info("after it ended")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    err = capsys.readouterr().err
    assert "monitor.test: after it ended" in err and "Logging error" not in err


def test_metrics_are_refused_outside_the_allowed_networks_without_the_token(
    tmp_path: Path, slack_api: SlackAPI
) -> None:
    from monitor.errors import ConfigError
    from monitor.settings import load_settings
    from monitor.web.metrics import MetricsAccess

    desk = Desk(tmp_path, slack_api)
    settings = load_settings(metrics_allow="10.0.0.0/8, 192.168.0.0/16", metrics_token="s3cret")
    assert settings.metrics_token is not None
    access = MetricsAccess.of(settings.metrics_allow, settings.metrics_token.get_secret_value())
    web = FastAPI()
    web.include_router(metrics_router(desk.repository, desk.clock, access))
    with serving_app(web) as url:  # requests come from 127.0.0.1: not in the list
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 403
        wrong = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 403
        right = httpx.get(f"{url}/metrics", headers={"Authorization": "Bearer s3cret"}, timeout=10)
        assert right.status_code == 200 and "monitor_alerts_pending" in right.text
    assert MetricsAccess().allows("127.0.0.1", None) and MetricsAccess().allows("::1", None)
    assert not MetricsAccess().allows("203.0.113.9", None)
    assert MetricsAccess.of("10.0.0.0/8", None).allows("10.1.2.3", None)
    assert not MetricsAccess.of("", None).allows("127.0.0.1", None)
    with pytest.raises(ConfigError, match="not an address or network"):
        load_settings(metrics_allow="everyone")
