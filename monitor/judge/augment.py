"""Synthetic training windows that teach how denial, hedging and reported assertion are written.

FNC-1 has few contradictions (840 of 49,972 pairs) and they cluster in a few claims, so a model
trained on it alone learns which claims were denied rather than how a denial reads. Here a
claim's other wordings (the headlines of the same claim in the training part) are wrapped in
the language of news reports, attributed to someone, and set among background sentences of
one of the claim's own bodies:

- **contradicts**: denials, refutations, corrections, "no evidence" ("The foreign ministry
  denied that ...", "An earlier version of this story said that ... That was incorrect.");
- **mentions**: hedges and non-confirmation ("Officials said they could not confirm that ...",
  "It was not immediately clear whether ...");
- **supports**: the claim asserted on the record ("... , a ministry spokesman said."), also when
  a denial is recalled in passing after it (the item's news is the claim);
- **unrelated**: the same denial language about *another* claim, so that denial words alone do
  not make a contradiction.

Every template here was written for this project. Only training-part claims and bodies are
used, so nothing of the validation or report claims leaks in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from monitor.judge.cross import key_words
from monitor.judge.fnc import Pair
from monitor.judge.passages import body_passages

ACTORS = (
    "The foreign ministry",
    "A government spokesman",
    "Police",
    "The company",
    "Officials",
    "A spokeswoman for the ministry",
    "The White House",
    "The Kremlin",
    "The agency",
    "Local authorities",
    "The defence ministry",
    "A spokesperson for the group",
    "The club",
    "His lawyer",
    "Her representative",
    "The state news agency",
    "A senior official",
    "The army",
    "The health ministry",
    "Investigators",
    "The airline",
    "The embassy",
    "A campaign spokesman",
    "The United Nations",
)
DENY = (
    "{A} denied that {c}.",
    "{A} denied reports that {c}, calling them baseless.",
    "{A} dismissed claims that {c} as false.",
    "{A} rejected reports that {c}.",
    "{A} said there was no evidence that {c}.",
    "{A} said it was not true that {c}.",
    "Reports that {c} are untrue, {a} said.",
    "{A} said claims that {c} were fabricated.",
    "Fact-checkers found the claim that {c} to be false.",
    "An earlier version of this story said that {c}. That was incorrect.",
    "{A} insisted that the story that {c} was a hoax.",
    "Contrary to reports, {a} said, it is not the case that {c}.",
    "{A} refuted the claim that {c}.",
    "{A} told reporters that the rumour that {c} was groundless.",
    "There is no truth to reports that {c}, {a} said in a statement.",
    "The claim that {c} has been debunked, {a} said.",
)
HEDGE = (
    "{A} said they could not confirm that {c}.",
    "It was not immediately clear whether {c}.",
    "{A} declined to comment on reports that {c}.",
    "Reports that {c} could not be independently verified.",
    "Unverified reports claimed that {c}.",
    "{A} said it was looking into reports that {c}.",
    "It remains unclear if {c}, {a} said.",
    "Social media posts suggested that {c}, but {a} would not confirm it.",
    "{A} said it was too early to say whether {c}.",
    "Questions remain over whether {c}.",
)
ASSERT = (
    "{A} said on Tuesday that {c}.",
    "{A} confirmed that {c}.",
    "{c_cap}, {a} said.",
    "{c_cap}, {a} told reporters on Monday.",
    "{A} announced that {c}.",
    "According to {a}, {c}.",
)
PASSING_DENIAL = (
    "{A} has previously denied the reports.",
    "{A} has denied similar accusations in the past.",
    "Earlier, {a} had dismissed the reports as propaganda.",
)
_NEGATIVE = re.compile(
    r"\b(not|no|never|den\w+|false|fake|hoax|deb\w+|rumou?r|\w+n't|refut\w+|reject\w+|myth)\b",
    re.IGNORECASE,
)
_PREFIX = re.compile(
    r"^(report|reports|video|watch|breaking|exclusive|update|photos?)\s*:\s*", re.I
)


@dataclass(frozen=True)
class Synthetic:
    """A claim, the sentences of a made-up item (to be windowed like any body) and its label."""

    claim: str
    sentences: tuple[str, ...]
    label: str
    kind: str


def proposition(headline: str) -> str | None:
    """A headline as a clause to wrap ("Report: X does Y!" -> "X does Y"); None if negative."""
    text = _PREFIX.sub("", headline.strip()).strip(" .!?'\"")
    if not text or _NEGATIVE.search(text) or "?" in headline or len(text.split()) < 4:
        return None
    return text


def _fill(template: str, actor: str, clause: str) -> str:
    lowered = actor[0].lower() + actor[1:]  # mid-sentence: "the Kremlin", "police"
    return template.format(A=actor, a=lowered, c=clause, c_cap=clause[0].upper() + clause[1:])


def synthesize(
    claims: dict[str, list[str]],
    bodies_of: dict[str, list[list[str]]],
    rng: np.random.RandomState,
    per_claim: int = 40,
) -> list[Synthetic]:
    """Synthetic items for each training claim (its wordings in ``claims``, keyed by claim).

    ``bodies_of`` gives each claim's bodies as sentence lists; background sentences are those
    sharing at most one content word with the claim. ``per_claim`` items per claim, spread
    over the kinds in the proportions of ``KINDS``.
    """
    keys = sorted(claims)
    out: list[Synthetic] = []
    for key in keys:
        wordings = [h for h in claims[key] if proposition(h)]
        if not wordings or not bodies_of.get(key):
            continue
        others = [k for k in keys if k != key and any(proposition(h) for h in claims[k])]
        for _ in range(per_claim):
            kind = KINDS[int(rng.choice(len(KINDS), p=WEIGHTS))]
            claim = claims[key][rng.randint(len(claims[key]))]
            source = wordings[rng.randint(len(wordings))]
            if kind == "unrelated" and others:
                other = others[rng.randint(len(others))]
                source = next(h for h in claims[other] if proposition(h))
            sentence = _sentence(kind, str(proposition(source)), rng)
            body = bodies_of[key][rng.randint(len(bodies_of[key]))]
            background = [s for s in body if len(key_words(claim) & key_words(s)) <= 1]
            pick = rng.permutation(len(background))[:3]
            context = [background[i] for i in sorted(pick)]
            label = LABEL_OF[kind]
            out.append(Synthetic(claim, (sentence, *context), label, kind))
    return out


KINDS = ("deny", "hedge", "assert", "assert_then_denial", "unrelated")
WEIGHTS = (0.4, 0.2, 0.15, 0.1, 0.15)
LABEL_OF = {
    "deny": "disagree",
    "hedge": "discuss",
    "assert": "agree",
    "assert_then_denial": "agree",
    "unrelated": "unrelated",
}


def _sentence(kind: str, clause: str, rng: np.random.RandomState) -> str:
    actor = ACTORS[rng.randint(len(ACTORS))]
    if kind in ("deny", "unrelated"):
        return _fill(DENY[rng.randint(len(DENY))], actor, clause)
    if kind == "hedge":
        return _fill(HEDGE[rng.randint(len(HEDGE))], actor, clause)
    said = _fill(ASSERT[rng.randint(len(ASSERT))], actor, clause)
    if kind == "assert":
        return said
    other = ACTORS[rng.randint(len(ACTORS))]
    return said + " " + _fill(PASSING_DENIAL[rng.randint(len(PASSING_DENIAL))], other, clause)


def for_pairs(
    pairs: Sequence[Pair],
    bodies: dict[str, str],
    component: dict[str, str],
    rng: np.random.RandomState,
    per_claim: int = 40,
) -> list[Synthetic]:
    """:func:`synthesize` for the claims of FNC-1 ``pairs`` (their related pairs' headlines,
    grouped by ``component``, :func:`monitor.judge.splits.claim_components`) and their bodies."""
    related = [p for p in pairs if p.label != "unrelated"]
    claims = wordings(sorted((component["h:" + p.headline], p.headline) for p in related))
    bodies_of: dict[str, list[list[str]]] = {}
    for body_id in sorted({p.body_id for p in related}):
        key = component["b:" + body_id]
        bodies_of.setdefault(key, []).append(body_passages(bodies[body_id], 60))
    return synthesize(claims, bodies_of, rng, per_claim)


def wordings(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Claim key -> its distinct headlines, from (claim key, headline) rows."""
    out: dict[str, list[str]] = {}
    for key, headline in pairs:
        if headline not in out.setdefault(key, []):
            out[key].append(headline)
    return out
