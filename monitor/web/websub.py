"""The WebSub callback endpoint: hubs verify our intent (GET) and push new content (POST).

Request handling lives in plain functions of (repository, source id, request parts, now) that
return an :class:`Answer`, so they can move behind another web framework unchanged;
:class:`WebSubServer` serves them with the standard library's threading HTTP server.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.errors import ParseError
from monitor.ingest.feeds import parse_feed
from monitor.ingest.websub import LEASE_SECONDS
from monitor.store import Repository
from monitor.types import FetchResult, WebSubState

log = logging.getLogger(__name__)

_PATH = re.compile(r"^/websub/([0-9]{1,18})$")
_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384}
_DIGESTS["sha512"] = hashlib.sha512


@dataclass(frozen=True)
class Answer:
    """What to answer a hub; ``new_items`` tells the caller to wake the judge."""

    status: int
    body: bytes = b""
    new_items: int = 0


NOT_FOUND = Answer(404, b"not found")
ACCEPTED = Answer(202)


def source_id_of(path: str) -> int | None:
    """The source id in a ``/websub/<id>`` path, else None."""
    match = _PATH.match(urlsplit(path).path)
    return int(match.group(1)) if match else None


def verify_intent(
    repository: Repository, source_id: int, params: Mapping[str, str], now: datetime
) -> Answer:
    """A hub's GET: confirm a subscription we asked for (echo the challenge), or take a denial."""
    source = repository.find_source(source_id)
    if source is None or not source.topic_url or params.get("hub.topic") != source.topic_url:
        return NOT_FOUND
    mode, challenge = params.get("hub.mode"), params.get("hub.challenge", "")
    if mode == "denied":
        reason = params.get("hub.reason") or "no reason given"
        repository.set_websub(source_id, WebSubState.DENIED, now, error=f"hub denied: {reason}")
        log.warning("source %s: hub denied the subscription: %s", source.name, reason)
        return Answer(200)
    if not challenge:
        return NOT_FOUND
    if mode == "subscribe" and source.websub_state in (WebSubState.PENDING, WebSubState.ACTIVE):
        lease = _lease_seconds(params.get("hub.lease_seconds"))
        until = now + timedelta(seconds=lease)
        repository.set_websub(source_id, WebSubState.ACTIVE, now, lease_until=until)
        log.info("source %s: WebSub subscription active until %s", source.name, until)
        return Answer(200, challenge.encode())
    if mode == "unsubscribe" and source.websub_state is WebSubState.NONE:
        return Answer(200, challenge.encode())
    return NOT_FOUND


def _lease_seconds(value: str | None) -> int:
    try:
        lease = int(value or "")
    except ValueError:
        return LEASE_SECONDS
    return lease if lease > 0 else LEASE_SECONDS


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """True when ``header`` (``X-Hub-Signature: method=hex``) is ``body``'s HMAC with ``secret``."""
    method, _, signature = (header or "").strip().partition("=")
    digest = _DIGESTS.get(method.lower())
    if digest is None or not signature:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, signature.strip().lower())


def receive_content(
    repository: Repository,
    source_id: int,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> Answer:
    """A hub's POST: store the pushed feed's new entries when the signature is right.

    Wrongly signed or unsigned content is acknowledged and dropped, as the spec asks (a 4xx
    would only make the hub retry it).
    """
    source = repository.find_source(source_id)
    if source is None or source.websub_state is WebSubState.NONE:
        return NOT_FOUND
    if not source.websub_secret or not signature_ok(
        source.websub_secret, body, headers.get("x-hub-signature")
    ):
        log.warning("source %s: WebSub push with a bad or missing signature dropped", source.name)
        return ACCEPTED
    content_type = headers.get("content-type", "")
    try:
        entries = parse_feed(FetchResult(source.url, 200, body, content_type), now)
    except ParseError as err:
        log.warning("source %s: WebSub push is not a feed: %s", source.name, err)
        return ACCEPTED
    new = repository.add_items(source_id, entries, now)
    log.info("source %s: %d new of %d pushed items", source.name, len(new), len(entries))
    return Answer(202, new_items=len(new))


class WebSubServer:
    """Serves the WebSub endpoint on a daemon thread; ``on_new_items`` runs after each push
    that stored something (the service wakes its judge there)."""

    def __init__(
        self,
        repository: Repository,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        max_bytes: int = 10_000_000,
        clock: Callable[[], datetime],
        on_new_items: Callable[[], None] = lambda: None,
    ) -> None:
        self.repository = repository
        self.max_bytes = max_bytes
        self.clock = clock
        self.on_new_items = on_new_items
        self.httpd = _Server((host, port), _handler_for(self))
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="websub-http",
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()
        log.info("WebSub endpoint listening on %s", self.url)

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a loop that never started otherwise
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> WebSubServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer_get(self, path: str) -> Answer:
        source_id = source_id_of(path)
        if source_id is None:
            return NOT_FOUND
        query = parse_qs(urlsplit(path).query, keep_blank_values=True)
        params = {name: values[0] for name, values in query.items()}
        return verify_intent(self.repository, source_id, params, self.clock())

    def answer_post(self, path: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        source_id = source_id_of(path)
        if source_id is None:
            return NOT_FOUND
        return receive_content(self.repository, source_id, body, headers, self.clock())

    def pushed(self, answer: Answer) -> None:
        """Wake the judge after a push brought new items; a failing callback is only logged."""
        if answer.new_items:
            self.on_new_items()


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def _handler_for(server: WebSubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("websub %s: " + format, self.client_address[0], *args)

        def do_GET(self) -> None:
            self._send(server.answer_get(self.path))

        def do_POST(self) -> None:
            try:
                length = int(self.headers.get("content-length") or "")
            except ValueError:
                self._send(Answer(411, b"content-length required"))
                return
            if length < 0 or length > server.max_bytes:
                self._send(Answer(413, b"too large"))
                return
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = server.answer_post(self.path, body, headers)
            self._send(answer)
            server.pushed(answer)

        def _send(self, answer: Answer) -> None:
            self.send_response(answer.status)
            self.send_header("content-type", "text/plain; charset=utf-8")
            self.send_header("content-length", str(len(answer.body)))
            if answer.status in (411, 413):
                self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(answer.body)

    return Handler
