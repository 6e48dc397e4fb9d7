"""Small FNC-1-format data sets written by tests: claims with several wordings and bodies."""

from __future__ import annotations

import csv
from pathlib import Path

CLAIMS = [
    "the volcano on the island erupted overnight",
    "the central bank raised interest rates again",
    "a comet will pass close to the earth",
    "the mayor resigned from her office",
    "the river flooded the whole valley",
    "a robot won the national chess final",
    "the airline cancelled all its flights",
    "the striker signed a contract with the club",
    "the museum found a lost painting",
    "the minister announced a new tax on sugar",
]
BODY = {
    "agree": "Officials confirmed that {c}. The news spread quickly across the region.",
    "disagree": "Authorities denied that {c} and called the story a hoax. Nothing had changed.",
    "discuss": "It is unclear whether {c}, according to unverified reports. More details awaited.",
}
BACKGROUND = "Reporters gathered more details later in the week from several people nearby."


def claims_fnc(directory: Path, bodies_per_claim: int = 6) -> Path:
    """Ten claims, two wordings each, bodies of every stance and unrelated pairings."""
    bodies, stances = [], []
    for c, claim in enumerate(CLAIMS):
        wordings = [claim.capitalize(), f"Reports say {claim}"]
        for b in range(bodies_per_claim):
            body_id = str(c * bodies_per_claim + b)
            label = ("agree", "disagree", "discuss")[b % 3]
            bodies.append([body_id, BODY[label].format(c=claim) + " " + BACKGROUND])
            stances.append([wordings[b % 2], body_id, label])
            other = CLAIMS[(c + 1 + b) % len(CLAIMS)]
            stances.append([other.capitalize(), body_id, "unrelated"])
    directory.mkdir(parents=True, exist_ok=True)
    for name, header, rows in [
        ("train_bodies.csv", ["Body ID", "articleBody"], bodies),
        ("train_stances.csv", ["Headline", "Body ID", "Stance"], stances),
    ]:
        with (directory / name).open("w", newline="") as out:
            csv.writer(out).writerows([header, *rows])
    return directory
