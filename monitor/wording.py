"""How stances are put to editors: the same words in Slack alerts, digests and the web UI.

The definitions are the desk's (docs/stance.md): *supports* asserts the claim or reports
someone asserting it; *contradicts* denies, refutes or corrects it, or reports someone doing
so; *mentions* bears on it without taking a position. Plain text: each sink escapes it.
"""

from __future__ import annotations

from monitor.judge.attribution import OUTLET
from monitor.types import ReportedStance, Stance

MEANING = {
    Stance.SUPPORTS: "asserts the claim, or reports someone asserting it",
    Stance.CONTRADICTS: "denies, refutes or corrects the claim, or reports someone doing so",
    Stance.MENTIONS: "bears on the claim without taking a position (hedged, questioned, "
    "background, cannot confirm)",
    Stance.UNRELATED: "does not bear on the claim",
}


def held_by(holder: str) -> str:
    """ "according to NSC spokesman John Kirby", or "stated by the outlet" ("" if unknown)."""
    if not holder:
        return ""
    return "stated by the outlet" if holder == OUTLET else f"according to {holder}"


def stance_phrase(stance: Stance, holder: str) -> str:
    """ "supports, according to NSC spokesman John Kirby": the stance and who holds it."""
    who = held_by(holder)
    return f"{stance.value}, {who}" if who else stance.value


def reported_phrase(reported: ReportedStance) -> str:
    """ "also reports: Iran's foreign ministry contradicts" (who takes the reported position)."""
    who = reported.holder if reported.holder != OUTLET else "the outlet"
    return f"also reports: {who} {reported.stance.value}"


def definitions(
    stances: tuple[Stance, ...] = (Stance.SUPPORTS, Stance.CONTRADICTS, Stance.MENTIONS),
) -> str:
    """One line defining ``stances``: "supports = asserts the claim ...; contradicts = ..."."""
    return "; ".join(f"{s.value} = {MEANING[s]}" for s in stances)


def first_upper(text: str) -> str:
    """``text`` with its first letter capitalised (the rest kept: names stay as written)."""
    return text[:1].upper() + text[1:]
