"""Serving the web app with uvicorn: on a thread beside the scheduler, or in the foreground."""

from __future__ import annotations

import logging
import threading
import time

import uvicorn
from fastapi import FastAPI

from monitor.errors import ConfigError

log = logging.getLogger(__name__)


class WebServer:
    """The app served by uvicorn on a daemon thread (``monitor run``)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        config = uvicorn.Config(
            app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        self.server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; ConfigError when the address cannot be used."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(
                    f"the web server could not listen on "
                    f"{self.server.config.host}:{self.server.config.port}"
                )
            time.sleep(0.02)
        log.info("web UI, API and WebSub endpoint on %s", self.url)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(10)
