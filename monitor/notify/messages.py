"""Render alerts as Slack messages (Block Kit) and as plain text. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from monitor.types import Alert, FeedbackKind, Stance

EVENT_TYPE = "claim_evidence"
SUMMARY_EVENT_TYPE = "claim_evidence_summary"
SECTION_LIMIT = 3000  # Slack's limit for a section's text
BLOCK_LIMIT = 50  # Slack's limit for blocks in one message
SUMMARY_LINES = 25  # alerts listed one by one in a summary; the rest are counted
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
    thread_ts: str | None = None
    reply_broadcast: bool = False  # a thread reply also shown in the channel
    alert_ids: tuple[int, ...] = field(default=())

    def in_thread(self, thread_ts: str | None, *, broadcast: bool = False) -> SlackMessage:
        return SlackMessage(
            self.channel,
            self.text,
            self.blocks,
            self.metadata,
            thread_ts,
            broadcast and thread_ts is not None,
            self.alert_ids,
        )


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


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[a-z0-9]+")
_COMMON = frozenset(
    _WORD.findall(
        "a an and are as at be by for from has have in is it its of on or that the this to "
        "was were will with"
    )
)


def highlighted(quote: str, claim: str) -> str:
    """``quote`` escaped for mrkdwn, its sentence closest in wording to ``claim`` in bold."""
    sentences = _SENTENCE_END.split(quote.strip())
    if len(sentences) < 2:
        return escape(quote)
    wanted = set(_WORD.findall(claim.lower())) - _COMMON
    overlap = [len(wanted & set(_WORD.findall(s.lower()))) for s in sentences]
    key = max(range(len(sentences)), key=lambda i: overlap[i])
    if not overlap[key]:
        return escape(quote)
    parts = [escape(s) for s in sentences]
    parts[key] = f"*{parts[key].replace('*', '')}*"
    return " ".join(parts)


def headline(alert: Alert) -> str:
    """One line saying what happened, used as the notification text."""
    return f"[{alert.stance.value}] {alert.claim_text} — {alert.source_name}: {alert.item_title}"


_FEEDBACK_BUTTONS = (
    (FeedbackKind.RELEVANT, "Relevant", "primary"),
    (FeedbackKind.NOT_RELEVANT, "Not relevant", None),
    (FeedbackKind.WRONG_STANCE, "Wrong stance", None),
    (FeedbackKind.MUTE_STORY, "Mute story", "danger"),
)
FEEDBACK_ACTION_PREFIX = "feedback:"
_FEEDBACK_SAID = {
    FeedbackKind.RELEVANT.value: ":white_check_mark: relevant",
    FeedbackKind.NOT_RELEVANT.value: ":no_entry_sign: not relevant",
    FeedbackKind.WRONG_STANCE.value: ":left_right_arrow: wrong stance",
    FeedbackKind.MUTE_STORY.value: ":mute: story muted",
}


def marker(alert_ids: Sequence[int]) -> str:
    """How a posted message names the alerts it carries (found again after a crash)."""
    return ",".join(str(i) for i in alert_ids)


def render_alert(alert: Alert, *, interactive: bool = False) -> SlackMessage:
    """The Block Kit message for one alert, within Slack's size limits.

    ``interactive`` adds the feedback buttons (only useful when Slack can reach the service).
    """
    title = escape(clip(alert.item_title or alert.item_url, 300))
    link = f"<{alert.item_url}|{title}>" if alert.item_url else title
    quote = highlighted(clip(alert.quote, 2500), alert.claim_text).replace("\n", "\n>")
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
                        f"{when} · why: {alert.score:.2f} similar to the claim · stance "
                        f"confidence {alert.stance_confidence:.2f} · claim `{alert.claim_key}` · "
                        f"{escape(alert.watchlist_name)}",
                        3000,
                    ),
                }
            ],
        },
    ]
    if alert.feedback:
        said = " · ".join(_said(f) for f in alert.feedback[-5:])
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(said, 3000)}]}
        )
    if interactive:
        blocks.append({"type": "actions", "block_id": "feedback", "elements": _buttons(alert)})
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
                "alert_ids": marker([alert.id]),
            },
        },
        alert_ids=(alert.id,),
    )


def _said(feedback: str) -> str:
    kind, _, user = feedback.partition(" by ")
    return f"{_FEEDBACK_SAID.get(kind, escape(kind))} — {escape(user)}"


def _buttons(alert: Alert) -> list[dict[str, Any]]:
    buttons = []
    for kind, label, style in _FEEDBACK_BUTTONS:
        button: dict[str, Any] = {
            "type": "button",
            "action_id": f"{FEEDBACK_ACTION_PREFIX}{kind.value}",
            "text": {"type": "plain_text", "text": label},
            "value": str(alert.id),
        }
        if style:
            button["style"] = style
        buttons.append(button)
    return buttons


def render_summary(channel: str, alerts: Sequence[Alert], reason: str) -> SlackMessage:
    """One message standing for many alerts (a burst, or what waited through quiet hours)."""
    counts = {s: sum(1 for a in alerts if a.stance is s) for s in Stance}
    tally = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    title = f"*{escape(reason)}*: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({tally})"
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": clip(title, SECTION_LIMIT)}}
    ]
    lines = [_summary_line(a) for a in alerts[:SUMMARY_LINES]]
    section = ""
    for line in lines:
        if len(section) + len(line) + 1 > SECTION_LIMIT:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section}})
            section = ""
        section = f"{section}\n{line}" if section else line
    if section:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section}})
    if len(alerts) > SUMMARY_LINES:
        more = f"and {len(alerts) - SUMMARY_LINES} more: `monitor alerts` lists them all"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    ids = tuple(a.id for a in alerts)
    return SlackMessage(
        channel=channel,
        text=clip(f"{reason}: {len(alerts)} alerts ({tally})", 3000),
        blocks=blocks[:BLOCK_LIMIT],
        metadata={
            "event_type": SUMMARY_EVENT_TYPE,
            "event_payload": {"reason": reason, "count": len(alerts), "alert_ids": marker(ids)},
        },
        alert_ids=ids,
    )


def _summary_line(alert: Alert) -> str:
    title = escape(clip(alert.item_title or alert.item_url, 120))
    link = f"<{alert.item_url}|{title}>" if alert.item_url else title
    claim = escape(clip(alert.claim_text, 120))
    line = f"• {_BADGES[alert.stance]} · {claim} — {link} ({escape(outlets_line(alert))})"
    return clip(line, 600)


def render_text(alert: Alert) -> str:
    """The alert as plain text for the console and logs."""
    when = alert.published_at.strftime("%Y-%m-%d %H:%M UTC") if alert.published_at else "undated"
    return (
        f"{alert.channel} [{alert.stance.value}] {alert.claim_text}\n"
        f"  “{clip(alert.quote, 400)}”\n"
        f"  {outlets_line(alert)} · {when} · match {alert.score:.2f}\n"
        f"  {alert.item_url}"
    )
