"""docker-compose.yml cannot run here (no Docker): check that what it runs exists."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.main import get_command

from monitor.cli import app
from monitor.settings import Settings, env_name

ROOT = Path(__file__).resolve().parent.parent


def test_every_service_runs_a_real_command_with_real_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    cli = get_command(app)
    known = {env_name(name) for name in Settings.model_fields} | {
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    }
    monitor_services = {
        name: service for name, service in compose["services"].items() if service.get("build")
    }
    assert set(monitor_services) == {"migrate", "worker", "web"}
    for name, service in monitor_services.items():
        command = service["command"]
        group = cli.commands[command[0]]  # type: ignore[attr-defined]
        if len(command) > 1:
            assert command[1] in group.commands, (name, command)  # type: ignore[attr-defined]
        unknown = set(service["environment"]) - known
        assert not unknown, (name, unknown)
    assert compose["services"]["web"]["environment"]["MONITOR_HTTP_HOST"] == "0.0.0.0"
    assert "8080:8080" in compose["services"]["web"]["ports"]


def test_the_services_share_one_model_cache_for_the_onnx_backend() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()
    for name in ("migrate", "worker", "web"):
        service = compose["services"][name]
        settings = Settings(
            embedding_backend=service["environment"]["MONITOR_EMBEDDING_BACKEND"],
            embedding_cache_dir=service["environment"]["MONITOR_EMBEDDING_CACHE_DIR"],
        )
        cache = str(settings.resolved_embedding_cache_dir)
        assert f"models:{cache}" in service["volumes"], name
    assert "models" in compose["volumes"]
    assert "mkdir -p /app/var/models" in dockerfile  # so the volume starts writable


def test_the_image_carries_the_export_so_no_container_makes_it_on_start() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    export = "RUN MONITOR_EMBEDDING_CACHE_DIR=/app/var/models monitor embeddings export"
    assert export in lines
    # As the service's user, so that the files (and a volume copied from them) stay its own.
    assert lines.index("USER monitor") < lines.index(export)
    group = get_command(app).commands["embeddings"]  # type: ignore[attr-defined]
    assert "export" in group.commands
    assert Settings().embedding_backend == "onnx"  # what the image's export is for
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in ("migrate", "worker", "web"):
        environment = compose["services"][name]["environment"]
        assert environment["MONITOR_EMBEDDING_CACHE_DIR"] == "/app/var/models", name
