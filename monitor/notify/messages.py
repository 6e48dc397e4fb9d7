"""Render alerts as Slack messages (Block Kit) and as plain text. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.types import Alert, Stance

EVENT_TYPE = "claim_evidence"
SECTION_LIMIT = 3000  # Slack's limit for a section's text
_BADGES = {
    Stance.SUPPORTS: ":large_green_circle: supports",
    Stance.CONTRADICTS: ":red_circle: contradicts",
    Stance.MENTIONS: ":white_circle: mentions",
    Stance.UNRELATED: ":black_circle: unrelated",
}


@dataclass(frozen=True)
class SlackMessage:
    """Everything ``chat.postMessage`` needs."""

    channel: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any]


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def outlets_line(alert: Alert, named: int = 2) -> str:
    """ "AP, Reuters + 12 others": who carried the story (the alert's source when unknown)."""
    outlets = alert.outlets or (alert.source_name,)
    shown = ", ".join(outlets[:named])
    rest = len(outlets) - named
    if rest > 0:
        shown += f" + {rest} other{'s' if rest > 1 else ''}"
    return shown


def headline(alert: Alert) -> str:
    """One line saying what happened, used as the notification text."""
    return f"[{alert.stance.value}] {alert.claim_text} — {alert.source_name}: {alert.item_title}"


def render_alert(alert: Alert) -> SlackMessage:
    """The Block Kit message for one alert, within Slack's size limits."""
    title = escape(clip(alert.item_title or alert.item_url, 300))
    link = f"<{alert.item_url}|{title}>" if alert.item_url else title
    quote = escape(clip(alert.quote, 2500)).replace("\n", "\n>")
    when = alert.published_at.strftime("%d %b %Y %H:%M UTC") if alert.published_at else "undated"
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(f"*{_BADGES[alert.stance]}* · *{escape(alert.claim_text)}*", 3000),
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(f">{quote}", SECTION_LIMIT)}},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": clip(f"{link}\n{escape(outlets_line(alert))}", 3000),
            },
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": clip(
                        f"{when} · match {alert.score:.2f} · stance confidence "
                        f"{alert.stance_confidence:.2f} · claim `{alert.claim_key}` · "
                        f"{escape(alert.watchlist_name)}",
                        3000,
                    ),
                }
            ],
        },
    ]
    return SlackMessage(
        channel=alert.channel,
        text=clip(headline(alert), 3000),
        blocks=blocks,
        metadata={
            "event_type": EVENT_TYPE,
            "event_payload": {
                "claim_id": alert.claim_key,
                "watchlist": alert.watchlist_key,
                "item_url": alert.item_url,
                "stance": alert.stance.value,
                "score": round(alert.score, 4),
            },
        },
    )


def render_text(alert: Alert) -> str:
    """The alert as plain text for the console and logs."""
    when = alert.published_at.strftime("%Y-%m-%d %H:%M UTC") if alert.published_at else "undated"
    return (
        f"{alert.channel} [{alert.stance.value}] {alert.claim_text}\n"
        f"  “{clip(alert.quote, 400)}”\n"
        f"  {outlets_line(alert)} · {when} · match {alert.score:.2f}\n"
        f"  {alert.item_url}"
    )
