"""Slack messages: nothing a feed, a page, a watchlist or a user wrote becomes a mention, a link
or formatting of its own, in any field of any message, and every message fits Slack's limits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.notify.messages import (
    SECTION_LIMIT,
    SlackMessage,
    highlighted,
    link,
    mrkdwn,
    render_alert,
    render_summary,
)
from monitor.types import Alert, ReportedStance, Stance

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
HOSTILE = [
    "<!channel>", "<!here>", "<!everyone>", "<@U024BE7LH>", "<#C024BE7LH>", "<http://evil.example|x>",
    "&lt;!here&gt;", "&amp;", "&", "<", ">", "|", "!", "@", "#", "http://", "*", "_", "~", "`",
    "\n", "\r", " ", "\t", "\u2028", "é", "&lt;", "&gt;", "<<", ">>", "<!subteam^S1>",
]  # fmt: skip
hostile = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=5), max_size=40).map("".join)
urls = (
    hostile
    | hostile.map(lambda s: f"http://news.example/{s}")
    | st.sampled_from(
        ["http://h/a/p>|<!here>", "https://h/p&gt;|&lt;!here&gt;", "http://h/" + "a" * 3000]
    )
)
# A link the message itself makes: <http(s)://target|title>, the target without <, >, | or spaces.
OWN_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>]*>")


def alert(text: str, url: str, alert_id: int = 1) -> Alert:
    return Alert(
        alert_id, "desk", f"Desk {text}", "#desk", "shells", f"Claim {text}", url, f"Title {text}",
        f"Wire {text}", NOW, f"A quote. Another {text} sentence.", 0.8, Stance.CONTRADICTS, 0.9,
        NOW, outlets=(f"AP {text}", text), feedback=(f"not_relevant by @{text}", f"{text} by x"),
        holder=f"Spokesman {text}", reported=(ReportedStance(Stance.CONTRADICTS, text, text),),
    )  # fmt: skip


def texts(message: SlackMessage) -> list[str]:
    """Every mrkdwn or plain text the message shows."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return found


def assert_inert(message: SlackMessage) -> None:
    payload = json.dumps(
        {"text": message.text, "blocks": message.blocks, "metadata": message.metadata},
        ensure_ascii=False,
    )
    for text in texts(message):
        assert "<" not in OWN_LINK.sub("", text), text
        assert len(text) <= SECTION_LIMIT
        assert not re.search(r"&(?!amp;|lt;|gt;)", text.replace("&amp;", "")), text
    outside_links = OWN_LINK.sub("", payload)
    for control in ("<!", "<@", "<#", "<http"):
        assert control not in outside_links, payload
    for own in OWN_LINK.findall(payload):
        assert not re.search(r"<[!@#]", own[1:]), own  # no mention inside a link either
    assert "item_url" not in json.dumps(message.metadata)


@settings(max_examples=300, deadline=None)
@given(text=hostile, url=urls)
def test_no_hostile_text_becomes_a_mention_a_link_or_formatting(text: str, url: str) -> None:
    assert_inert(render_alert(alert(text, url)))
    assert_inert(render_alert(alert(text, url), interactive=True))  # as updated after feedback
    assert_inert(render_summary("#desk", [alert(text, url, i) for i in range(30)], text))


def test_the_notification_text_is_escaped() -> None:
    message = render_alert(alert("<!channel> <@U024BE7LH> <#C024BE7LH>", "https://n.example/1"))
    assert "<!channel>" not in message.text and "&lt;!channel&gt;" in message.text
    assert "<@U024BE7LH>" not in message.text and "<#C024BE7LH>" not in message.text


def test_a_link_cannot_break_out_of_its_brackets() -> None:
    shown = link("http://h/a/p>|<!here>", "Title", 300)
    assert shown == "<http://h/a/p%3E%7C%3C!here%3E|Title>"
    assert link("http://h/a b\tc", "T", 300) == "<http://h/a%20b%09c|T>"
    assert link("https://h/?a=1&b=2", "T", 300) == "<https://h/?a=1&amp;b=2|T>"


def test_links_that_are_not_http_or_too_long_are_dropped_and_the_title_stays() -> None:
    assert link("javascript:alert(1)", "Title", 300) == "Title"
    assert link("http://h/" + "a" * 2048, "Title", 300) == "Title"
    assert link("", "Title", 300) == "Title"


def test_feed_formatting_is_neutralised() -> None:
    shown = mrkdwn("*bold* ~struck~ `code` _it_", 100)
    assert not set("*~`_") & set(shown)
    assert "bold" in shown and "code" in shown
    shown = highlighted("A *loud* claim. Iran sent drones.", "Iran drones")
    assert shown == "A ∗loud∗ claim. *Iran sent drones.*"  # only the bolding is ours


def test_text_is_clipped_before_it_is_escaped() -> None:
    shown = mrkdwn("&" * 100, 22)
    assert shown == "&amp;" * 4 + "…"  # never a cut entity such as "&am"
    quote = highlighted("<" * 5000, "x")
    assert len(quote) < SECTION_LIMIT and quote.endswith("&lt;…")
    message = render_alert(alert("&" * 4000, "https://n.example/1"))
    assert all(len(t) <= SECTION_LIMIT for t in texts(message))
    assert all(not t.endswith(("&", "&a", "&am", "&amp")) for t in texts(message))


def test_metadata_carries_only_ids() -> None:
    message = render_alert(alert("x", "https://n.example/<!here>"))
    assert message.metadata["event_payload"] == {
        "claim_id": "shells",
        "watchlist": "desk",
        "stance": "contradicts",
        "score": 0.8,
        "alert_ids": "1",
    }
