"""Alert sinks: Slack (slack-sdk ``chat.postMessage``) and the console."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from monitor.errors import (
    NotifyError,
    PausedNotifyError,
    PermanentNotifyError,
    ThrottledNotifyError,
)
from monitor.notify.messages import SlackMessage

log = logging.getLogger(__name__)

# The token is wrong or lacks a right: nothing can be posted anywhere until it is fixed.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
    }
)
# The channel cannot take posts: its alerts wait until someone fixes it.
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
# The message itself is refused: retrying it cannot help.
PERMANENT_ERRORS = frozenset(
    {
        "restricted_action",
        "invalid_blocks",
        "invalid_metadata_format",
        "msg_too_long",
        "too_many_attachments",
    }
)
_FIXES = {
    "channel_not_found": "check the channel's name in the watchlist, or invite the bot",
    "not_in_channel": "invite the bot to the channel (/invite @the-bot)",
    "is_archived": "unarchive the channel or route the watchlist elsewhere",
    "missing_scope": "add the scopes README lists to the Slack app and reinstall it",
}
TOKEN_FIX = "set a valid SLACK_BOT_TOKEN and restart the service"


class AlertSink(Protocol):
    """Where alerts go.

    ``send`` returns the message id (Slack ``ts``) if there is one; ``find`` looks for a
    message carrying ``alert_id`` posted since ``oldest`` (a Unix time), in the channel or in
    the thread ``thread_ts``; ``update`` rewrites a posted message.
    """

    def send(self, message: SlackMessage) -> str | None: ...

    def find(
        self, channel: str, alert_id: int, oldest: float, thread_ts: str | None = None
    ) -> str | None: ...

    def update(self, channel: str, ts: str, message: SlackMessage) -> None: ...


class SlackSink:
    """Posts alerts to Slack channels (slack-sdk ``WebClient``)."""

    def __init__(self, token: str, base_url: str = "https://slack.com/api/") -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        # Retries are the outbox's job (it records attempts); the client must not retry silently.
        self._client = WebClient(token=token, base_url=base_url, timeout=15, retry_handlers=[])
        self._channel_ids: dict[str, str] = {}  # "#name" -> "C0123", learned from answers

    def send(self, message: SlackMessage) -> str | None:
        arguments: dict[str, Any] = {}
        if message.thread_ts:
            arguments["thread_ts"] = message.thread_ts
            arguments["reply_broadcast"] = message.reply_broadcast
        response = self._call(
            message.channel, "the alert", self._client.chat_postMessage,
            channel=message.channel, text=message.text, blocks=message.blocks,
            metadata=message.metadata, unfurl_links=False, unfurl_media=False, **arguments,
        )  # fmt: skip
        if response.get("channel"):
            self._channel_ids[message.channel] = str(response["channel"])
        ts = response.get("ts")
        return str(ts) if ts else None

    def find(
        self, channel: str, alert_id: int, oldest: float, thread_ts: str | None = None
    ) -> str | None:
        try:
            return self._find(channel, alert_id, oldest, thread_ts)
        except PausedNotifyError as err:
            if err.code != "missing_scope":
                raise
            # Posting may still work: only the history cannot be read, and never will be.
            raise PermanentNotifyError(f"{err}; {err.fix}") from err

    def _find(
        self, channel: str, alert_id: int, oldest: float, thread_ts: str | None
    ) -> str | None:
        channel_id = self._channel_id(channel)
        if channel_id is None:
            return None
        cursor: str | None = None
        while True:
            where = {"ts": thread_ts} if thread_ts else {}
            method = (
                self._client.conversations_replies
                if thread_ts
                else self._client.conversations_history
            )
            page = self._call(
                channel, "the history", method, channel=channel_id, oldest=str(oldest),
                include_all_metadata=True, limit=200, cursor=cursor, **where,
            )  # fmt: skip
            for message in page.get("messages") or []:
                if _carries(message, alert_id):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        channel_id = self._channel_id(channel) or channel
        self._call(
            channel, "the update", self._client.chat_update, channel=channel_id, ts=ts,
            text=message.text, blocks=message.blocks, metadata=message.metadata,
        )  # fmt: skip

    def _channel_id(self, channel: str) -> str | None:
        """Slack's id for a channel given by name (history and replies take ids only)."""
        if channel in self._channel_ids:
            return self._channel_ids[channel]
        if not channel.startswith("#"):
            return channel
        cursor: str | None = None
        while True:
            page = self._call(
                channel, "the channel list", self._client.conversations_list,
                types="public_channel,private_channel", limit=1000, cursor=cursor,
            )  # fmt: skip
            for found in page.get("channels") or []:
                self._channel_ids[f"#{found['name']}"] = str(found["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if channel in self._channel_ids or not cursor:
                return self._channel_ids.get(channel)

    def _call(self, target: str, what: str, method: Callable[..., Any], /, **arguments: Any) -> Any:
        """Run one Web API call about ``target``; Slack's answers become the outbox's errors."""
        try:
            return method(**arguments)
        except SlackApiError as err:
            code = str(err.response.get("error", "unknown_error"))
            text = f"Slack refused {what} for {target}: {code}"
            if err.response.status_code == 429:
                retry_after = float(err.response.headers.get("Retry-After", 30) or 30)
                raise ThrottledNotifyError(text, retry_after) from err
            if code in TOKEN_ERRORS:
                fix = _FIXES.get(code, TOKEN_FIX)
                raise PausedNotifyError(text, None, fix, code) from err
            if code in CHANNEL_ERRORS:
                raise PausedNotifyError(text, target, _FIXES[code], code) from err
            if code in PERMANENT_ERRORS:
                raise PermanentNotifyError(text) from err
            raise NotifyError(text) from err
        except (SlackClientError, OSError) as err:
            raise NotifyError(f"cannot reach Slack: {err}") from err


def _carries(message: dict[str, Any], alert_id: int) -> bool:
    payload = (message.get("metadata") or {}).get("event_payload") or {}
    return str(alert_id) in str(payload.get("alert_ids", "")).split(",")


class ConsoleSink:
    """Writes alerts to the log when no Slack token is configured."""

    def __init__(self, write: Callable[[SlackMessage], None] | None = None) -> None:
        self._write = write

    def send(self, message: SlackMessage) -> str | None:
        if self._write is not None:
            self._write(message)
        else:
            log.info("alert for %s: %s", message.channel, message.text)
        return None

    def find(
        self, channel: str, alert_id: int, oldest: float, thread_ts: str | None = None
    ) -> str | None:
        return None  # the console keeps nothing: an interrupted alert is written again

    def update(self, channel: str, ts: str, message: SlackMessage) -> None:
        return None
