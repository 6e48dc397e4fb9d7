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
    """Speaks enough of the Slack Web API for slack-sdk.

    It records every ``chat.postMessage`` (``posted``) and ``chat.update`` (``updated``), keeps
    each channel's messages for ``conversations.history`` / ``conversations.replies`` (with
    their metadata), and lists channels in ``conversations.list``. ``errors`` maps a channel to
    the Slack error code to answer with; ``throttle`` maps a channel to how many posts to answer
    with HTTP 429 and ``Retry-After: retry_after``.
    """

    def __init__(self, token: str = "xoxb-test-token") -> None:
        super().__init__()
        self.token = token
        self.posted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.errors: dict[str, str] = {}
        self.throttle: dict[str, int] = {}
        self.retry_after = 7
        self.post_times: list[float] = []
        self.clock: Callable[[], float] = time.time  # Slack's ts is the time of posting
        self._lock = threading.Lock()
        self.responses["/api/chat.postMessage"] = self._api(self._post_message)
        self.responses["/api/chat.update"] = self._api(self._update)
        self.responses["/api/conversations.history"] = self._api(self._history)
        self.responses["/api/conversations.replies"] = self._api(self._replies)
        self.responses["/api/conversations.list"] = self._api(self._list)

    @staticmethod
    def channel_id(name: str) -> str:
        return "C" + name.lstrip("#").upper().replace("-", "")[:10]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """What was posted in ``channel`` (a name), oldest first."""
        return [p for p in self.posted if p["channel"] in (channel, self.channel_id(channel))]

    def _api(self, answer: Callable[[dict[str, Any]], Any]) -> Route:
        def route(handler: BaseHTTPRequestHandler) -> None:
            body: bytes = handler.request_body  # type: ignore[attr-defined]
            if "json" in handler.headers.get("content-type", ""):
                payload = json.loads(body)
            else:
                query = handler.path.partition("?")[2]
                raw = parse_qs(body.decode()) | parse_qs(query)
                payload = {k: v[0] for k, v in raw.items()}
            if handler.headers.get("authorization") != f"Bearer {self.token}":
                result: Any = {"ok": False, "error": "invalid_auth"}
            else:
                with self._lock:
                    result = answer(payload)
            if isinstance(result, Response):
                self.write(handler, result)
                return
            data = json.dumps(result).encode()
            self.write(handler, Response(data, headers={"content-type": "application/json"}))

        return route

    def _post_message(self, payload: dict[str, Any]) -> Any:
        channel = payload.get("channel", "")
        if self.throttle.get(channel, 0) > 0:
            self.throttle[channel] -= 1
            body = json.dumps({"ok": False, "error": "ratelimited"}).encode()
            headers = {"content-type": "application/json", "Retry-After": str(self.retry_after)}
            return Response(body, status=429, headers=headers)
        if channel in self.errors:
            return {"ok": False, "error": self.errors[channel]}
        self.post_times.append(time.monotonic())
        ts = f"{int(self.clock())}.{len(self.posted) + 1:06d}"
        if isinstance(payload.get("metadata"), str):
            payload["metadata"] = json.loads(payload["metadata"])
        self.posted.append({**payload, "ts": ts})
        return {"ok": True, "channel": self.channel_id(channel), "ts": ts, "message": {"ts": ts}}

    def _update(self, payload: dict[str, Any]) -> Any:
        self.updated.append(payload)
        return {"ok": True, "channel": payload.get("channel"), "ts": payload.get("ts")}

    def _visible(self, payload: dict[str, Any], thread: bool) -> list[dict[str, Any]]:
        channel = payload["channel"]
        found = [
            {"ts": p["ts"], "text": p.get("text", ""), "metadata": p.get("metadata")}
            for p in self.posted
            if self.channel_id(p["channel"]) == channel
            and float(p["ts"]) >= float(payload.get("oldest") or 0)
            and (
                (p.get("thread_ts") == payload.get("ts") or p["ts"] == payload.get("ts"))
                if thread
                else (not p.get("thread_ts") or p.get("reply_broadcast") in (True, "true"))
            )
        ]
        return found

    def _history(self, payload: dict[str, Any]) -> Any:
        return {"ok": True, "messages": self._visible(payload, thread=False)[::-1]}

    def _replies(self, payload: dict[str, Any]) -> Any:
        return {"ok": True, "messages": self._visible(payload, thread=True)}

    def _list(self, payload: dict[str, Any]) -> Any:
        names = {p["channel"] for p in self.posted} | set(self.errors) | set(self.throttle)
        channels = [
            {"id": self.channel_id(n), "name": n.lstrip("#")}
            for n in sorted(names)
            if n.startswith("#")
        ]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}


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


@contextmanager
def serving_app(app: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn on 127.0.0.1 (a free port); yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
