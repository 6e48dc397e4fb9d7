"""An alert says who holds its stance, what the stance means, and the denials it reports."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.notify.messages import render_alert, render_summary, render_text
from monitor.types import Alert, ReportedStance, Stance

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DENIAL = "Pyongyang has repeatedly denied supplying weapons to Moscow."


def shipments_alert(holder: str = "NSC spokesman John Kirby") -> Alert:
    return Alert(
        1, "desk", "Arms desk", "#arms", "shells", "North Korea is supplying artillery shells to Russia",
        "https://news.example/kirby", "North Korea shipped shells to Russia, White House says",
        "Wire", NOW, "North Korea has covertly supplied Russia with artillery shells.", 0.71,
        Stance.SUPPORTS, 0.82, NOW, holder=holder,
        reported=(ReportedStance(Stance.CONTRADICTS, "Pyongyang", DENIAL),),
    )  # fmt: skip


def shown(alert: Alert) -> str:
    message = render_alert(alert)
    return "\n".join(
        [message.text]
        + [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
        + [e["text"] for b in message.blocks if b["type"] == "context" for e in b["elements"]]
    )


def test_the_alert_names_who_holds_the_stance_and_lists_the_reported_denial() -> None:
    text = shown(shipments_alert())
    assert "[supports, according to NSC spokesman John Kirby]" in text  # the notification
    assert "*According to NSC spokesman John Kirby*" in text
    assert f":red_circle: contradicts · Also reports: Pyongyang contradicts: “{DENIAL}”" in text
    assert "_supports_: asserts the claim, or reports someone asserting it" in text


def test_an_unattributed_stance_is_the_outlets_own() -> None:
    text = shown(shipments_alert(holder="the outlet"))
    assert "*Stated by the outlet*" in text


def test_evidence_judged_before_attribution_shows_no_holder() -> None:
    message = render_alert(shipments_alert(holder=""))
    assert "according to" not in message.text
    assert "stated by" not in message.text.lower()


def test_the_summary_and_the_console_carry_the_holder_too() -> None:
    alert = shipments_alert()
    summary = render_summary("#arms", [alert, alert], "Burst")
    assert "(according to NSC spokesman John Kirby)" in summary.blocks[1]["text"]["text"]
    console = render_text(alert)
    assert "[supports, according to NSC spokesman John Kirby]" in console
    assert f"also reports: Pyongyang contradicts: “{DENIAL}”" in console
