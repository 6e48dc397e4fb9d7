"""Who owns a watchlist: the database never goes back to an older copy of a file (refused and
reported in `monitor status`, the log and the web UI), and the compose services, run with
their mounts emulated, let the web service edit while a worker with the image's older copy
undoes nothing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from monitor.editing import writable
from monitor.ownership import is_older_copy
from monitor.store import open_store
from monitor.types import Role
from monitor.watchlists import load_file
from monitor.web.auth import hash_password, new_api_token, token_hash
from tests.support.cli import run_cli
from tests.support.databases import database_url
from tests.support.models import tiny_sentence_model
from tests.support.paths import REPO
from tests.support.servers import LocalServer, Response
from tests.support.waiting import wait_for
from tests.support.web_desk import NOW, WebDesk, bearer, desk_with_feed, sign_in

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title></channel></rss>"""
NEW_CLAIM = {"text": "Iran supplies Shahed attack drones to Russia"}


@pytest.fixture
def desk(tmp_path: Path, feed_server: LocalServer) -> Iterator[WebDesk]:
    with desk_with_feed(tmp_path, feed_server, "/wire.xml", RSS) as desk:
        yield desk


def test_an_older_copy_of_a_file_never_replaces_a_newer_version(
    desk: WebDesk, tmp_path: Path
) -> None:
    path = desk.watchlists / "arms.yaml"
    baked = tmp_path / "image" / "arms.yaml"  # the copy built into an image, or an old checkout
    baked.parent.mkdir()
    shutil.copy(path, baked)
    client = desk.client()
    answer = client.put(
        "/api/v1/watchlists/arms/claims/ir-drones",
        json=NEW_CLAIM,
        headers=bearer(desk, Role.EDITOR),
    )
    assert answer.status_code == 200, answer.text

    summary = desk.repository.sync_watchlists([load_file(baked)], NOW, "the files on worker-2")
    assert summary.watchlists == 0 and len(summary.refused) == 1
    assert "worker-2" in summary.refused[0] and "older copy" in summary.refused[0]
    assert [c.key for c in desk.repository.claims("arms")] == ["dprk-shells", "ir-drones"]

    # Reported wherever someone looks: monitor status (from any host), the UI, the API.
    assert desk.repository.status(NOW).watchlists_refused == summary.refused
    database = desk.repository.engine.url.render_as_string(hide_password=False)
    result = run_cli(["status"], env={"MONITOR_DATABASE_URL": database})
    assert result.exit_code == 2 and "older copy of watchlist 'arms'" in result.output
    sign_in(client, "viewer")
    assert "A watchlist sync was refused" in client.get("/alerts").text
    shown = client.get("/api/v1/watchlists/arms", headers=bearer(desk, Role.VIEWER)).json()
    assert "worker-2" in shown["sync_refused"]

    # A version the database has never seen is newer: stored, and the report ends.
    path.write_text(path.read_text() + "# reviewed\n")
    assert desk.repository.sync_watchlists([load_file(path)], NOW).watchlists == 1
    assert desk.repository.status(NOW).watchlists_refused == ()
    assert "A watchlist sync was refused" not in client.get("/alerts").text


# --- docker-compose.yml, emulated ----------------------------------------------------------

WATCHLIST = """\
# The desk's watchlist; comments stay when the web UI edits it.
name: Arms desk
slack_channel: "#arms"
sources:
  - name: Wire
    url: "{url}/wire.xml"   # the desk's wire
claims:
  - id: dprk-shells
    text: North Korea is shipping artillery shells to Russia
"""


class Compose:
    """The compose file's monitor services, run as local processes: each container path a
    service mounts is a folder here; one it does not mount is the image's copy."""

    def __init__(self, tmp_path: Path, extra: dict[str, str]) -> None:
        self.spec = yaml.safe_load((REPO / "docker-compose.yml").read_text())
        self.tmp = tmp_path
        self.host = tmp_path / "host"  # the project folder on the Docker host
        self.image = tmp_path / "image"  # what the image holds (Dockerfile: COPY watchlists)
        self.extra = extra
        self.port = _free_port()
        self.processes: list[subprocess.Popen[bytes]] = []

    def service(self, name: str) -> dict[str, Any]:
        service: dict[str, Any] = self.spec["services"][name]
        return service

    def env(self, name: str) -> dict[str, str]:
        service = self.service(name)
        env = {k: str(v) for k, v in service["environment"].items()}
        mounts = dict(_mount(volume) for volume in service.get("volumes", []))
        for key, value in env.items():
            if value.startswith("/app/"):
                inside = Path(value).relative_to("/app")
                source = mounts.get(value)
                if source is None:
                    env[key] = str(self.image / inside)
                elif source.startswith("./"):  # a folder of the project on the host
                    env[key] = str(self.host / source.removeprefix("./"))
                else:  # a named volume
                    env[key] = str(self.tmp / "volumes" / source)
        return env | {"MONITOR_HTTP_HOST": "127.0.0.1", "MONITOR_HTTP_PORT": str(self.port)}

    def run(self, name: str, *command: str) -> subprocess.CompletedProcess[bytes]:
        """The service's command (or ``command``) in its environment, to its end."""
        command = command or tuple(self.service(name)["command"])
        return subprocess.run(
            [sys.executable, "-m", "monitor", *command],
            env=self._environ(name, {}),
            capture_output=True,
            timeout=120,
            check=False,
        )

    def start(self, name: str, **overrides: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.tmp / f"{name}-{len(self.processes)}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", *self.service(name)["command"]],
            env=self._environ(name, overrides),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process, log

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()

    def _environ(self, name: str, overrides: dict[str, str]) -> dict[str, str]:
        return {**os.environ, **self.env(name), **self.extra, **overrides, "OMP_NUM_THREADS": "1"}


def _mount(volume: str) -> tuple[str, str]:
    source, target, *_ = volume.split(":")
    return target, source


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def compose(tmp_path: Path, feed_server: LocalServer) -> Iterator[Compose]:
    feed_server.responses["/wire.xml"] = Response(RSS)
    url = database_url(tmp_path / "compose.sqlite3")
    extra = {
        "MONITOR_DATABASE_URL": url,  # the db service
        "MONITOR_EMBEDDING_BACKEND": "torch",  # no ONNX export in a test
        "MONITOR_EMBEDDING_MODEL": str(tiny_sentence_model(tmp_path / "model")),
        "MONITOR_STANCE_MODEL": "none",
        "MONITOR_ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_DATA_DIR": str(tmp_path / "var"),
    }
    running = Compose(tmp_path, extra)
    text = WATCHLIST.format(url=feed_server.url)
    for folder in (running.host / "watchlists", running.image / "watchlists"):
        folder.mkdir(parents=True)
        (folder / "arms.yaml").write_text(text)
    try:
        yield running
    finally:
        running.stop()


def test_the_compose_mounts_let_the_web_edit_and_no_worker_undo_it(compose: Compose) -> None:
    web_mounts = dict(_mount(v) for v in compose.service("web")["volumes"])
    assert web_mounts["/app/watchlists"] == "./watchlists"  # read-write: no :ro
    assert "/app/watchlists" not in dict(_mount(v) for v in compose.service("worker")["volumes"])
    assert compose.env("worker")["MONITOR_WATCHLIST_SYNC"] == "false"

    assert compose.run("migrate").returncode == 0
    _, web_log = compose.start("web")
    repository = open_store(compose.extra["MONITOR_DATABASE_URL"], migrate=False)
    wait_for(lambda: _listening(compose.port), 90, "the web service to listen")
    assert repository.watchlist("arms") is not None  # loaded from the folder it mounts
    editor = repository.add_user("ana", hash_password("correct horse battery"), Role.EDITOR, NOW)
    token = new_api_token()
    repository.add_api_token(editor.id, "test", token_hash(token), NOW)

    answer = httpx.put(
        f"http://127.0.0.1:{compose.port}/api/v1/watchlists/arms/claims/ir-drones",
        json=NEW_CLAIM,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200, (answer.text, web_log.read_text())
    host_file = compose.host / "watchlists/arms.yaml"
    assert "# the desk's wire" in host_file.read_text()  # written back as the desk wrote it
    assert load_file(host_file).claims[-1].key == "ir-drones"

    # A worker as compose starts it (no folder: the image's copy is older) changes nothing.
    worker, worker_log = compose.start("worker")
    wait_for(lambda: "scheduler started" in worker_log.read_text(), 90, "the worker to start")
    # One started with file syncing on (a host with an older checkout) is refused.
    compose.start("worker", MONITOR_WATCHLIST_SYNC="true")
    wait_for(
        lambda: repository.status(NOW).watchlists_refused != (), 90, "the older copy's refusal"
    )
    assert "watchlist sync refused" in compose.tmp.joinpath("worker-2.log").read_text()

    assert [c.key for c in repository.claims("arms")] == ["dprk-shells", "ir-drones"]
    stored = repository.watchlist("arms")
    assert stored is not None and stored.fingerprint == load_file(host_file).fingerprint
    status = compose.run("worker", "status")  # asked on any host: the refusal is reported
    assert status.returncode == 2 and b"older copy of watchlist 'arms'" in status.stdout
    assert worker.poll() is None  # the compose worker runs on, from the database


def test_which_copy_is_older_is_decided_by_the_versions_stored() -> None:
    assert is_older_copy("v2", {"v1", "v2"}, "v1")  # stored once, replaced since
    assert not is_older_copy("v2", {"v1", "v2"}, "v2")  # the current one
    assert not is_older_copy("v2", {"v1", "v2"}, "v3")  # never seen: a newer edit
    assert not is_older_copy(None, set(), "v1")  # a new watchlist
    assert not is_older_copy("v1", {"v1"}, "")  # built without a file


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
def test_a_folder_mounted_read_only_makes_its_watchlists_read_only(tmp_path: Path) -> None:
    folder = tmp_path / "watchlists"
    folder.mkdir()
    (folder / "arms.yaml").write_text("name: x\n")
    probe = (
        "import sys; from pathlib import Path; from monitor.editing import writable; "
        "print(writable(Path(sys.argv[1]) / 'arms.yaml'))"
    )
    script = f'mount --bind -o ro "$1" "$1" && exec "{sys.executable}" -c "$2" "$1"'
    mounted = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script, "sh", str(folder), probe],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    if mounted.returncode != 0 and "mount" in mounted.stderr:
        pytest.skip(f"no mount namespace here: {mounted.stderr.strip()}")
    assert mounted.stdout.strip() == "False", mounted.stderr
    assert writable(folder / "arms.yaml")  # the same folder, mounted read-write
