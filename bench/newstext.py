"""Made-up news items for the ingestion benchmark: varied prose, and wire copies.

Real reports on unrelated events share few five-word phrases; the near-duplicate grouping
(``monitor.ingest.dedup``) relies on that. So sentences here are dense with drawn words (made-up
places and people, bodies, topics, numbers): no fixed run of five words recurs across items.
``WIRE_SHARE`` of the items are copies of a wire story carried by several feeds, each copy with
its own headline and lead, as outlets run agency copy. ``boilerplate=True`` ends every item with
the same footer sentence, as many outlets do: a stress case for the grouping.
"""

from __future__ import annotations

import random

WIRE_SHARE = 0.1
WIRE_STORIES = 500
FOOTER = (
    "This article was produced by our regional desk and has been updated with additional "
    "reporting from our correspondents."
)

SYLLABLES = [
    "ar", "bel", "cor", "dan", "el", "fen", "gar", "hol", "is", "jor", "kel", "lun", "mar",
    "nor", "ost", "pel", "quin", "ros", "sal", "tor", "ul", "var", "wen", "yl", "zan", "bra",
    "cla", "dro", "fri", "gla", "kro", "pla", "stra", "tre", "vo", "mi", "ka", "lo", "ne", "ti",
]  # fmt: skip
FIRST = [
    "Amira", "Bogdan", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kemal", "Lucia", "Marek", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Samir", "Tomas",
    "Ulla", "Viktor", "Wanjiru", "Xavier", "Yusuf", "Zofia", "Aditi", "Bruno", "Chen", "Dalia",
]  # fmt: skip
BODIES = [
    "council", "regulator", "ministry", "authority", "commission", "utility", "union",
    "cooperative", "agency", "board", "coastguard", "prosecutor", "operator", "chamber",
    "inspectorate", "tribunal", "assembly", "treasury", "ombudsman", "senate", "court", "mayor",
]  # fmt: skip
NOUNS = [
    "rail freight", "water rationing", "fertiliser imports", "shipping tolls", "school meals",
    "housing grants", "diesel subsidies", "flood defences", "ammunition exports",
    "waiting lists", "airport expansion", "electricity trading", "wheat reserves",
    "rent controls", "bridge repairs", "fishing quotas", "vaccine deliveries", "bus fares",
    "pension reform", "border checks", "grain storage", "mining licences", "ferry services",
    "tax rebates", "steel tariffs", "forest fires", "refugee shelters", "teacher salaries",
    "road tolls", "drought relief", "port dredging", "power cuts", "fuel prices", "court fees",
]  # fmt: skip
MODIFIERS = [
    "delayed", "disputed", "emergency", "awaited", "overdue", "provisional", "revised",
    "secret", "temporary", "unpublished", "expanded", "reduced", "regional", "frontier",
    "northern", "coastal", "winter", "municipal", "rural", "national", "proposed", "new",
    "planned", "contested", "interim", "costly", "record", "partial", "phased", "urgent",
]  # fmt: skip
ACTIONS = [
    "announced", "postponed", "approved", "rejected", "criticised", "defended", "suspended",
    "extended", "questioned", "welcomed", "blocked", "published", "investigated", "cancelled",
]  # fmt: skip
SAYING = ["said", "told reporters", "wrote", "argued", "insisted", "warned", "confirmed"]
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
UNITS = ["households", "workers", "tonnes", "passengers", "pupils", "vessels", "patients"]
# Every run of five words holds a made-up name, a number, a date or a drawn pair of words.
SENTENCES = [
    "{Person} of the {body} {saying} {number} {units} faced {topic} on {date}.",
    "{Body} figures released on {date} show {number} {units} affected by {topic} around {place}.",
    "{Person} {saying} the {place} ruling on {topic} was {action} by {person2} on {date}.",
    "In {place}, {number} {units} waited outside the {body} on {date}, {person2} {saying}.",
    "{Person2} {saying} the {body} would review {topic} in {place} by {date}.",
    "Officials in {place} {action} {topic} on {date}, a step {person2} called {modifier}.",
    "{Person} of the {body} {saying} {number} {units} in {place} depend on {topic}.",
    "Talks between {person2} and the {body} on {topic} were {action} on {date} in {place}.",
]
HEADLINES = [
    "{Body} {action} {topic} plan",
    "{Topic}: {body} under pressure after {number} {units} affected",
    "{Person} {saying} {place} {topic} deal {action}",
    "{Topic} measures {action} in {place}",
]


def place(rng: random.Random) -> str:
    """A made-up town: two or three syllables."""
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {place(rng)}"


def fill(template: str, rng: random.Random) -> str:
    """``template`` with every slot drawn (capitalised slot names give capitalised values)."""
    values = {
        "person": person(rng),
        "person2": person(rng),
        "place": place(rng),
        "body": f"{place(rng)} {rng.choice(BODIES)}",
        "topic": f"{rng.choice(MODIFIERS)} {rng.choice(NOUNS)}",
        "modifier": rng.choice(MODIFIERS),
        "action": rng.choice(ACTIONS),
        "saying": rng.choice(SAYING),
        "date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)}",
        "units": rng.choice(UNITS),
        "number": f"{rng.randint(12, 98_000):,}",
    }
    values |= {k.capitalize(): v[0].upper() + v[1:] for k, v in list(values.items())}
    return template.format(**values)


def sentences(rng: random.Random, count: int) -> list[str]:
    return [fill(rng.choice(SENTENCES), rng) for _ in range(count)]


def news_item(feed: int, number: int, *, boilerplate: bool = False) -> tuple[str, list[str]]:
    """The headline and paragraphs of item ``number`` of ``feed`` (the same every time)."""
    rng = random.Random(feed * 1_000_003 + number)
    headline = fill(rng.choice(HEADLINES), rng)
    if rng.random() < WIRE_SHARE:
        wire = random.Random(-1 - rng.randrange(WIRE_STORIES))
        body = [*sentences(rng, 1), *sentences(wire, 4)]
    else:
        body = sentences(rng, rng.randint(3, 5))
    return headline, [*body, FOOTER] if boilerplate else body
