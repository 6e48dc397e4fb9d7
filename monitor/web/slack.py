"""``POST /slack/actions``: Slack's interactivity requests (the feedback buttons)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from monitor.notify.feedback import FeedbackHandler


def slack_router(handler: FeedbackHandler) -> APIRouter:
    """The route Slack's "Interactivity Request URL" points at (``<public url>/slack/actions``)."""
    router = APIRouter()

    @router.post("/slack/actions", include_in_schema=False)
    async def slack_actions(request: Request) -> PlainTextResponse:
        body = await request.body()  # the signature covers the raw body
        answer = await run_in_threadpool(handler.handle, body, dict(request.headers))
        return PlainTextResponse(answer.text, status_code=answer.status)

    return router
