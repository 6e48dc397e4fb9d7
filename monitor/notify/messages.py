"""Render alerts as Slack messages (Block Kit) and as plain text. Pure functions.

Every string in an alert came from a feed, a page, a watchlist file or a user, so every one is
untrusted in every field of every message (the notification text, the blocks, summaries and the
updates after feedback): it is clipped first, then its mrkdwn formatting characters are replaced
by look-alikes and ``&``, ``<`` and ``>`` are escaped, so no entity is ever cut and nothing from a
feed can become a mention (``<!channel>``, ``<@U…>``, ``<#C…>``) or a link of its own. Links are
http(s) only, at most :data:`URL_LIMIT` characters, with ``<``, ``>``, ``|``, quotes and
whitespace percent-encoded; anything else is dropped. Message metadata carries only ids.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as percent_encode

from monitor.ingest.urls import http_url
from monitor.types import EDITOR_STANCES, Alert, FeedbackKind, ReportedStance, Stance
from monitor.wording import MEANING, first_upper, held_by, reported_phrase, stance_phrase

EVENT_TYPE = "claim_evidence"
SUMMARY_EVENT_TYPE = "claim_evidence_summary"
SECTION_LIMIT = 3000  # Slack's limit for a section's text
BLOCK_LIMIT = 50  # Slack's limit for blocks in one message
SUMMARY_LINES = 25  # alerts listed one by one in a summary; the rest are counted
URL_LIMIT = 2048  # longer links are dropped (the title stays)
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


_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# mrkdwn's formatting characters, each replaced by a look-alike that Slack does not interpret:
# a feed cannot bold, strike, italicise or code-format its own words.
_LOOKALIKES = str.maketrans({"*": "∗", "~": "∼", "`": "ˋ", "_": "ˍ"})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mrkdwn(text: str, limit: int, *, one_line: bool = True) -> str:
    """Untrusted ``text`` made safe for a mrkdwn field, at most ``limit`` characters long.

    The text is clipped before it is escaped (counting what each character becomes), so no
    entity is cut in half; formatting characters become look-alikes; ``one_line`` turns line
    breaks into spaces (a title or a name must not start a block quote).
    """
    text = _CONTROL.sub("", text).translate(_LOOKALIKES)
    if one_line:
        text = " ".join(text.split())
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    kept: list[str] = []
    used = 1  # room for the ellipsis
    for char in text:
        shown = _ENTITIES.get(char, char)
        if used + len(shown) > limit:
            break
        kept.append(shown)
        used += len(shown)
    return "".join(kept).rstrip() + "…"


# Kept as they are in a link; everything else (<, >, |, quotes, spaces, non-ASCII) is encoded.
_URL_SAFE = "!#$%&'()*+,-./:;=?@[]^_{}~"


def link_target(url: str) -> str | None:
    """``url`` fit for ``<url|title>``, or None when it must be dropped (not http(s), too long)."""
    checked = http_url(url)
    if checked is None or len(checked) > URL_LIMIT:
        return None
    url = checked
    encoded = percent_encode(url, safe=_URL_SAFE).replace("&", "&amp;")
    return encoded if len(encoded) <= URL_LIMIT else None


def link(url: str, title: str, limit: int) -> str:
    """A mrkdwn link to ``url`` showing ``title`` (just the title when the link is dropped)."""
    shown = mrkdwn(title or url, limit)
    target = link_target(url) if url else None
    return f"<{target}|{shown}>" if target else shown


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


def highlighted(quote: str, claim: str, limit: int = SECTION_LIMIT - 1) -> str:
    """``quote`` made safe for mrkdwn (see :func:`mrkdwn`) and shown as a block quote's lines,
    its sentence closest in wording to ``claim`` in bold; at most ``limit`` characters."""
    lines = quote.strip().count("\n")
    safe = mrkdwn(quote.strip(), max(1, limit - 2 - lines), one_line=False)
    sentences = _SENTENCE_END.split(safe)
    key = _closest(sentences, claim)
    if key is not None:
        sentences[key] = f"*{sentences[key]}*"
    return " ".join(sentences).replace("\n", "\n>")


def _closest(sentences: Sequence[str], claim: str) -> int | None:
    """Which of several sentences shares the most words with ``claim`` (None: no clear one)."""
    if len(sentences) < 2:
        return None
    wanted = set(_WORD.findall(claim.lower())) - _COMMON
    overlap = [len(wanted & set(_WORD.findall(s.lower()))) for s in sentences]
    key = max(range(len(sentences)), key=lambda i: overlap[i])
    return key if overlap[key] else None


def headline(alert: Alert) -> str:
    """One line saying what happened, used as the notification text (escaped like the blocks)."""
    claim = mrkdwn(alert.claim_text, 1000)
    source = mrkdwn(alert.source_name, 300)
    title = mrkdwn(alert.item_title or "(untitled)", 1000)
    stance = mrkdwn(stance_phrase(alert.stance, alert.holder), 200)
    return f"[{stance}] {claim} — {source}: {title}"


_FEEDBACK_BUTTONS = (
    (FeedbackKind.RELEVANT, "Relevant", "primary"),
    (FeedbackKind.NOT_RELEVANT, "Not relevant", None),
    (FeedbackKind.MUTE_STORY, "Mute story", "danger"),
)
FEEDBACK_ACTION_PREFIX = "feedback:"
# The menu that sets the right stance ("Wrong stance? Set it"): its options' values are
# "<alert id>:<stance>".
STANCE_ACTION = f"{FEEDBACK_ACTION_PREFIX}stance"
_FEEDBACK_SAID = {
    FeedbackKind.RELEVANT.value: ":white_check_mark: relevant",
    FeedbackKind.NOT_RELEVANT.value: ":no_entry_sign: not relevant",
    FeedbackKind.WRONG_STANCE.value: ":left_right_arrow: stance corrected",
    FeedbackKind.MUTE_STORY.value: ":mute: story muted",
}


def marker(alert_ids: Sequence[int]) -> str:
    """How a posted message names the alerts it carries (found again after a crash)."""
    return ",".join(str(i) for i in alert_ids)


def render_alert(alert: Alert, *, interactive: bool = False) -> SlackMessage:
    """The Block Kit message for one alert, within Slack's size limits.

    ``interactive`` adds the feedback buttons (only useful when Slack can reach the service).
    """
    when = alert.published_at.strftime("%d %b %Y %H:%M UTC") if alert.published_at else "undated"
    claim = mrkdwn(alert.claim_text, SECTION_LIMIT - len(_BADGES[alert.stance]) - 10)
    where = f"{link(alert.item_url, alert.item_title, 300)}\n{mrkdwn(outlets_line(alert), 500)}"
    why = (
        f"{when} · why: {alert.score:.2f} similar to the claim · stance "
        f"confidence {alert.stance_confidence:.2f} · claim `{_identifier(alert.claim_key)}` · "
        f"{mrkdwn(alert.watchlist_name, 500)} · _{alert.stance.value}_: {MEANING[alert.stance]}"
    )
    blocks: list[dict[str, Any]] = [
        _section(f"*{_BADGES[alert.stance]}* · *{claim}*"),
        _section(f">{highlighted(alert.quote, alert.claim_text, SECTION_LIMIT - 1)}"),
        *_attribution_blocks(alert),
        _section(where),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": why}]},
    ]
    if alert.corrected_by:
        model = alert.model_stance.value if alert.model_stance else "another stance"
        corrected = (
            f":pencil2: stance set by {mrkdwn(alert.corrected_by, 100)} (the model read _{model}_)"
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": corrected}]})
    if alert.feedback:
        said = " · ".join(_said(f) for f in alert.feedback[-5:])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": said}]})
    if interactive:
        blocks.append({"type": "actions", "block_id": "feedback", "elements": _buttons(alert)})
    return SlackMessage(
        channel=alert.channel,
        text=headline(alert),
        blocks=blocks,
        metadata={
            "event_type": EVENT_TYPE,
            "event_payload": {
                "claim_id": _identifier(alert.claim_key),
                "watchlist": _identifier(alert.watchlist_key),
                "stance": alert.stance.value,
                "score": round(alert.score, 4),
                "alert_ids": marker([alert.id]),
            },
        },
        alert_ids=(alert.id,),
    )


REPORTED_QUOTE = 300  # characters of a reported position's quote in an alert


def _attribution_blocks(alert: Alert) -> list[dict[str, Any]]:
    """Who holds the stance, and the positions the item reports besides (a recalled denial)."""
    lines = []
    if alert.holder:
        lines.append(f"*{mrkdwn(first_upper(held_by(alert.holder)), 300)}*")
    lines += [_reported_line(r) for r in alert.reported[:3]]
    return [_section("\n".join(lines))] if lines else []


def _reported_line(reported: ReportedStance) -> str:
    said = mrkdwn(first_upper(reported_phrase(reported)), 300)
    return f"{_BADGES[reported.stance]} · {said}: “{mrkdwn(reported.quote, REPORTED_QUOTE)}”"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _identifier(key: str) -> str:
    """A claim or watchlist key as an id (keys are checked when loaded; this is a backstop)."""
    return re.sub(r"[^\w.-]", "_", key)[:200]


def _said(feedback: str) -> str:
    kind, _, user = feedback.partition(" by ")
    return f"{_FEEDBACK_SAID.get(kind) or mrkdwn(kind, 50)} — {mrkdwn(user, 100)}"


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
    options = [
        {"text": {"type": "plain_text", "text": s.value}, "value": f"{alert.id}:{s.value}"}
        for s in EDITOR_STANCES
        if s is not alert.stance
    ]
    menu = {
        "type": "static_select",
        "action_id": STANCE_ACTION,
        "placeholder": {"type": "plain_text", "text": "Wrong stance? Set it"},
        "options": options,
    }
    return [*buttons[:2], menu, *buttons[2:]]


def render_summary(channel: str, alerts: Sequence[Alert], reason: str) -> SlackMessage:
    """One message standing for many alerts (a burst, or what waited through quiet hours)."""
    counts = {s: sum(1 for a in alerts if a.stance is s) for s in Stance}
    tally = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    said = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''} ({tally})"
    blocks: list[dict[str, Any]] = [_section(f"*{mrkdwn(reason, 200)}*: {said}")]
    lines = [_summary_line(a) for a in alerts[:SUMMARY_LINES]]
    section = ""
    for line in lines:
        if len(section) + len(line) + 1 > SECTION_LIMIT:
            blocks.append(_section(section))
            section = ""
        section = f"{section}\n{line}" if section else line
    if section:
        blocks.append(_section(section))
    if len(alerts) > SUMMARY_LINES:
        more = f"and {len(alerts) - SUMMARY_LINES} more: `monitor alerts` lists them all"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    ids = tuple(a.id for a in alerts)
    return SlackMessage(
        channel=channel,
        text=f"{mrkdwn(reason, 200)}: {said}",
        blocks=blocks[:BLOCK_LIMIT],
        metadata={
            "event_type": SUMMARY_EVENT_TYPE,
            "event_payload": {"count": len(alerts), "alert_ids": marker(ids)},
        },
        alert_ids=ids,
    )


def _summary_line(alert: Alert) -> str:
    """One alert in a summary: every part within its own budget (a line stays under 600)."""
    title = link(alert.item_url, alert.item_title, 120)
    claim = mrkdwn(alert.claim_text, 120)
    outlets = mrkdwn(outlets_line(alert), 100)
    who = f" ({mrkdwn(held_by(alert.holder), 80)})" if alert.holder else ""
    return f"• {_BADGES[alert.stance]}{who} · {claim} — {title} ({outlets})"


def render_text(alert: Alert) -> str:
    """The alert as plain text for the console and logs."""
    when = alert.published_at.strftime("%Y-%m-%d %H:%M UTC") if alert.published_at else "undated"
    reported = "".join(
        f"  {reported_phrase(r)}: “{clip(r.quote, 200)}”\n" for r in alert.reported[:3]
    )
    return (
        f"{alert.channel} [{stance_phrase(alert.stance, alert.holder)}] {alert.claim_text}\n"
        f"  “{clip(alert.quote, 400)}”\n"
        f"{reported}"
        f"  {outlets_line(alert)} · {when} · match {alert.score:.2f}\n"
        f"  {alert.item_url}"
    )
