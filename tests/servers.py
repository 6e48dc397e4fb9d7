"""Real local servers for tests: feeds over HTTP and an API that speaks Slack's Web API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Response:
    """A canned answer: status, headers, body, and an optional delay between chunks."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drip_delay: float = 0.0


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (deadline and size tests) are expected


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 answering from a table of paths."""

    def __init__(self) -> None:
        self.responses: dict[str, Response | Route] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers), body))
                self.request_body = body
                answer = server.responses.get(self.path.split("?")[0])
                if answer is None:
                    self.send_response(404)
                    self.send_header("content-length", "0")
                    self.end_headers()
                    return
                if callable(answer):
                    answer(self)
                    return
                server.write(self, answer)

            do_GET = do_POST = _handle

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        # A short poll interval: shutting the server down waits for one.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @staticmethod
    def write(handler: BaseHTTPRequestHandler, answer: Response) -> None:
        handler.send_response(answer.status)
        headers = {"content-length": str(len(answer.body)), **answer.headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if not answer.drip_delay:
            handler.wfile.write(answer.body)
            return
        for index in range(len(answer.body)):
            try:
                handler.wfile.write(answer.body[index : index + 1])
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(answer.drip_delay)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def paths_requested(self, method: str = "GET") -> list[str]:
        return [path for m, path, _, _ in self.requests if m == method]

    def __enter__(self) -> LocalServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class SlackAPI(LocalServer):
    """Speaks enough of the Slack Web API for slack-sdk: records every chat.postMessage.

    ``errors`` maps a channel to the Slack error code to answer with.
    """

    def __init__(self, token: str = "xoxb-test-token") -> None:
        super().__init__()
        self.token = token
        self.posted: list[dict[str, Any]] = []
        self.errors: dict[str, str] = {}
        self.responses["/api/chat.postMessage"] = self._post_message

    def _post_message(self, handler: BaseHTTPRequestHandler) -> None:
        body: bytes = handler.request_body  # type: ignore[attr-defined]
        content_type = handler.headers.get("content-type", "")
        if "json" in content_type:
            payload = json.loads(body)
        else:
            payload = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if handler.headers.get("authorization") != f"Bearer {self.token}":
            answer: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
        elif payload.get("channel") in self.errors:
            answer = {"ok": False, "error": self.errors[payload["channel"]]}
        else:
            self.posted.append(payload)
            ts = f"{1700000000 + len(self.posted)}.000100"
            answer = {"ok": True, "channel": "C0TEST", "ts": ts, "message": {"ts": ts}}
        data = json.dumps(answer).encode()
        self.write(handler, Response(data, headers={"content-type": "application/json"}))


class SlowRoute:
    """Answers after a pause, remembering how many requests were in flight at once."""

    def __init__(self, pause: float = 0.15) -> None:
        self.pause = pause
        self.in_flight = 0
        self.most = 0
        self.lock = threading.Lock()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(self.pause)
        with self.lock:
            self.in_flight -= 1
        LocalServer.write(handler, Response(b"<rss/>"))


@contextmanager
def serving(server: LocalServer) -> Iterator[LocalServer]:
    with server:
        yield server
