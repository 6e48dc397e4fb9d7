"""Alert sinks: Slack (slack-sdk ``chat.postMessage``) and the console."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from monitor.errors import NotifyError, PermanentNotifyError
from monitor.notify.messages import SlackMessage

log = logging.getLogger(__name__)

# Slack error codes that retrying cannot fix: the editors must act (invite the bot, fix the token).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "invalid_blocks",
        "invalid_metadata_format",
        "msg_too_long",
        "too_many_attachments",
    }
)


class AlertSink(Protocol):
    """Where alerts go. ``send`` returns the message id (Slack ``ts``) if there is one."""

    def send(self, message: SlackMessage) -> str | None: ...


class SlackSink:
    """Posts alerts to Slack channels."""

    def __init__(self, token: str, base_url: str = "https://slack.com/api/") -> None:
        if not base_url.endswith("/"):
            base_url += "/"
        # Retries are the outbox's job (it records attempts); the client must not retry silently.
        self._client = WebClient(token=token, base_url=base_url, timeout=15, retry_handlers=[])

    def send(self, message: SlackMessage) -> str | None:
        try:
            response = self._client.chat_postMessage(
                channel=message.channel,
                text=message.text,
                blocks=message.blocks,
                metadata=message.metadata,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as err:
            code = str(err.response.get("error", "unknown_error"))
            text = f"Slack refused the alert for {message.channel}: {code}"
            if code in PERMANENT_ERRORS:
                raise PermanentNotifyError(text) from err
            raise NotifyError(text) from err
        except (SlackClientError, OSError) as err:
            raise NotifyError(f"cannot reach Slack: {err}") from err
        ts = response.get("ts")
        return str(ts) if ts else None


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
