"""The WebSub callback endpoint: hubs verify our intent (GET) and push new content (POST).

Request handling lives in plain functions of (repository, source id, request parts, now) that
return an :class:`Answer`; :func:`websub_router` serves them in the service's FastAPI app.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, BackgroundTasks, Request, Response
from starlette.concurrency import run_in_threadpool

from monitor.errors import ParseError
from monitor.ingest.feeds import parse_feed
from monitor.ingest.websub import LEASE_SECONDS
from monitor.store import Repository
from monitor.types import FetchResult, WebSubState

log = logging.getLogger(__name__)

_SOURCE_ID = re.compile(r"^[0-9]{1,18}$")
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


def websub_router(
    repository: Repository,
    clock: Callable[[], datetime],
    on_new_items: Callable[[], None] = lambda: None,
    max_bytes: int = 10_000_000,
) -> APIRouter:
    """``/websub/<source id>``: hubs verify (GET) and push (POST) here. ``on_new_items`` runs
    after the answer to a push that stored something (the service wakes its judge there)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/websub/{source_id}")
    async def verify(source_id: str, request: Request) -> Response:
        if not _SOURCE_ID.match(source_id):
            return _send(NOT_FOUND)
        params = dict(request.query_params)
        answer = await run_in_threadpool(verify_intent, repository, int(source_id), params, clock())
        return _send(answer)

    @router.post("/websub/{source_id}")
    async def push(source_id: str, request: Request, background: BackgroundTasks) -> Response:
        if not _SOURCE_ID.match(source_id):
            return _send(NOT_FOUND)
        try:
            length = int(request.headers.get("content-length") or "")
        except ValueError:
            return _send(Answer(411, b"content-length required"))
        if length < 0 or length > max_bytes:
            return _send(Answer(413, b"too large"))
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        answer = await run_in_threadpool(
            receive_content, repository, int(source_id), body, headers, clock()
        )
        if answer.new_items:
            background.add_task(on_new_items)
        return _send(answer)

    return router


def _send(answer: Answer) -> Response:
    headers = {"connection": "close"} if answer.status in (411, 413) else None
    return Response(
        answer.body, status_code=answer.status, media_type="text/plain", headers=headers
    )
