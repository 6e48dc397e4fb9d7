"""Settings: sources of values, errors, and documentation that stays complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import CONFIG_ENV, Settings, load_settings, settings_table
from tests.support.paths import REPO


def test_documentation_lists_every_setting_as_the_code_declares_it() -> None:
    docs = (REPO / "docs/configuration.md").read_text()
    assert settings_table() in docs
    for name in Settings.model_fields:
        assert name in settings_table().lower()


def test_defaults_give_a_sqlite_file_in_the_data_dir() -> None:
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite:///var/monitor.sqlite3"
    assert settings.allow_private_networks is False
    assert settings.slack_bot_token is None


def test_environment_and_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('match_threshold = 0.7\nwatchlists = "/desk/lists"\nlog_json = true\n')
    monkeypatch.setenv("MONITOR_MATCH_THRESHOLD", "0.65")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret")
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    settings = load_settings(config)
    assert settings.match_threshold == 0.65  # the environment wins over the file
    assert settings.watchlists == Path("/desk/lists")
    assert settings.log_json is True
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-secret"
    assert "xoxb-secret" not in repr(settings)


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_FETCH_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="fetch_timeout"):
        load_settings()


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.toml: config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_broken_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("match_threshold = = 1\n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_settings(config)
