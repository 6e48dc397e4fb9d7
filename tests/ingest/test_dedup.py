"""Near-duplicate sketches: wire copies group, independent reports do not."""

from __future__ import annotations

from monitor.ingest.dedup import SAME_STORY, anchors, resemblance, sketch

WIRE = (
    "North Korea has sent more than a million artillery shells to Russia since August, "
    "according to officials in Seoul who briefed lawmakers on Wednesday. The shipments moved "
    "by rail from the port of Rajin and by sea to a naval base near Vladivostok, the officials "
    "said, adding that the pace of deliveries had picked up in recent weeks as Moscow sought to "
    "replenish stocks depleted by the war in Ukraine. Pyongyang and Moscow have denied any arms "
    "trade, calling the reports fabrications."
)
COPY = (
    "SEOUL (Wire) - North Korea has sent more than a million artillery shells to Russia since "
    "August, according to officials in Seoul who briefed lawmakers on Wednesday. The shipments "
    "moved by rail from the port of Rajin and by sea to a naval base near Vladivostok, the "
    "officials said, adding that the pace of deliveries had picked up in recent weeks as Moscow "
    "sought to replenish stocks depleted by the war in Ukraine. Pyongyang and Moscow have denied "
    "any arms trade. Reporting by a staff writer."
)
INDEPENDENT = (
    "South Korean intelligence told a closed session of parliament that trains and ships have "
    "carried a very large quantity of North Korean ammunition to Russian forces this autumn. "
    "Lawmakers who attended said the agency counted roughly one million rounds, moved through "
    "Rajin and onward to the Russian Far East. Neither government has acknowledged a deal, and "
    "both have dismissed earlier accounts as hostile propaganda aimed at isolating them."
)


def test_a_lightly_edited_wire_copy_is_the_same_story() -> None:
    assert resemblance(sketch(WIRE), sketch(COPY)) >= SAME_STORY


def test_an_independent_report_of_the_same_event_is_not() -> None:
    assert resemblance(sketch(WIRE), sketch(INDEPENDENT)) < 0.1


def test_short_texts_are_not_sketched() -> None:
    assert sketch("North Korea ships shells to Russia, officials say.") == ()
    assert resemblance((), sketch(WIRE)) == 0.0


def test_copies_share_an_anchor() -> None:
    assert set(anchors(sketch(WIRE))) & set(anchors(sketch(COPY)))
    assert sketch(WIRE) == sketch(WIRE)
