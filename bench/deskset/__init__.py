"""The desk set: claim-item pairs from real reporting, labelled as a desk editor reads them.

Frozen before any tuning (see docs/deskset.md). Two files next to this module:

- ``claims.yaml``: watchlist-style claims with a stable id, a beat and a split (``tune`` or
  ``report``), fixed by claim so that what is tuned on is never what is reported.
- ``items.jsonl``: one feed-like item (title, body) per line, paired with one claim and labelled
  ``supports``, ``contradicts``, ``mentions`` or ``unrelated``, with the attribution (who holds the
  stance, when the text says so), whether a denial is reported in passing, and its provenance.

``load()`` reads and validates both; ``problems()`` lists everything wrong with a set, so a test
(and anyone editing by mistake) sees what broke.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Literal, cast

import yaml

HERE = Path(__file__).resolve().parent
CLAIMS_FILE = HERE / "claims.yaml"
ITEMS_FILE = HERE / "items.jsonl"

Label = Literal["supports", "contradicts", "mentions", "unrelated"]
Split = Literal["tune", "report"]
LABELS: tuple[Label, ...] = ("supports", "contradicts", "mentions", "unrelated")
SPLITS: tuple[Split, ...] = ("tune", "report")


@dataclass(frozen=True)
class Rules:
    """The least a set must hold, and the splits it must have."""

    items: int
    claims: int
    per_label: dict[Label, int]
    beats: int
    splits: tuple[Split, ...]


# What the issue asks of the set (issue 14, "How it is measured").
RULES = Rules(
    items=300,
    claims=50,
    per_label={"supports": 60, "contradicts": 60, "mentions": 60, "unrelated": 30},
    beats=8,
    splits=SPLITS,
)
# Desk set B (``holdout/``): built later, blind, from other claims; every claim is reported on,
# none tuned on (docs/deskset.md, "Desk set B").
HOLDOUT_DIR = HERE / "holdout"
HOLDOUT_RULES = Rules(
    items=100,
    claims=20,
    per_label={"supports": 25, "contradicts": 25, "mentions": 25, "unrelated": 15},
    beats=8,
    splits=("report",),
)

# Desk set C (``c/``): built blind on 2026-12-01 from other claims again; every claim is
# ``tune``: it chooses what the first set no longer can (the shipped cross-encoder was tuned on
# the first set), and desk set B stays the report (docs/deskset.md, "Desk set C").
C_DIR = HERE / "c"
C_RULES = Rules(
    items=120,
    claims=24,
    per_label={"supports": 25, "contradicts": 25, "mentions": 25, "unrelated": 15},
    beats=8,
    splits=("tune",),
)

# Desk set D (``d/``): built blind on 2026-12-01 like B, every claim ``report``; with B it is
# the held-out report (docs/deskset.md, "Desk set D"; docs/stance-research.md, round 8).
D_DIR = HERE / "d"
D_RULES = Rules(
    items=240,
    claims=32,
    per_label={"supports": 60, "contradicts": 75, "mentions": 55, "unrelated": 35},
    beats=12,
    splits=("report",),
)
# Desk sets E to Q (``e/`` to ``q/``): each built blind after the one before, every claim
# ``tune``, each to choose once (docs/deskset.md, "Desk set E" to "Desk set Q", says for what;
# docs/stance-research.md, rounds 10 to 27); development data after. They share D's minimums.
TUNE_RULES = replace(D_RULES, splits=("tune",))
# B and D read as one set: the minimums for a desk set, every claim reported on.
REPORT_RULES = replace(RULES, splits=("report",))
# The sets nothing is tuned, calibrated or selected on.
HELD_OUT = ("holdout", "d", "report")
# The sets research may develop on: the first set, C, and each of E onwards once it has chosen
# (a set joins here after the round it was kept blind for, never before).
DEVELOPMENT = ("main", "c", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q")

# Desk set C's files, frozen the same way before any model read them.
C_FROZEN_SHA256 = {
    "claims.yaml": "4d97e0139b78d5946b716d89976ee5b7fa3e3fac934743fd0f8b8863828a9aad",
    "items.jsonl": "21fb7ce18c36079c90af58a1f14ca9420b23583abd9063bf22a8e18f81cc48af",
}

# Desk set D's files, frozen the same way before any model read them.
D_FROZEN_SHA256 = {
    "claims.yaml": "f62a0554a431060de22f3fc29159dba657a63f469c377a1b8747cb8fc38db81a",
    "items.jsonl": "a5ff3e1d3d6159e2c075f75a415fe7e90b17957e3b3797ea23a79033d3d5edf1",
}

# Desk sets E to Q's files, each frozen the same way before any model read it.
TUNE_SETS_FROZEN_SHA256 = {
    "e": {
        "claims.yaml": "3c8cf47c75189b9f8f5f54c60b0e3de9bd451784a8b1abdcdb3bcb8a763da89a",
        "items.jsonl": "f9682f3ea04b381bdc410daa022027587f2f7c0ed02f37f55e623b46aaafb411",
    },
    "f": {
        "claims.yaml": "dbdf4d757ae0e76f3edbe513689a285045265b7cd643c882fbf9f850e2c5a206",
        "items.jsonl": "d055da2a6a4d8f44d996cd3c1973c0bf55083d4cb9c2c598e9b5bb01058f4f68",
    },
    "g": {
        "claims.yaml": "b3fccb8e2a012277d26216cb02c79381e19ac2374b7a86a849050259090bb2e8",
        "items.jsonl": "c255f7c762bcfa790fec93a10f88f47fdd44db648ce3a7c8a621bbe22e577d9f",
    },
    "h": {
        "claims.yaml": "b6578fce8a2255f8005335313c268238c426f196b1669d8c2985de8876e78122",
        "items.jsonl": "964740f8abac043604caa919f8d8c1edc12e96320bbe8e3c72a1cd405dd8dc8c",
    },
    "i": {
        "claims.yaml": "efc5e99652ca2a0140016e8a8206c556f6f2a64eb59e9206ecb0b9d966fbf45b",
        "items.jsonl": "5a1b13c46b464bf844267eec3a485617f577dc41fdb9b652448558d5486acee7",
    },
    "j": {
        "claims.yaml": "bc5e3182232372135b2b29e3347e09ce5c5e422b7836ae82e30b8b66ff64fd95",
        "items.jsonl": "8854963cdda43a243065f1dcc8e7bf2a0c1e8546345f5924351af3f46489f8ec",
    },
    "k": {
        "claims.yaml": "0b5aac7d73721abf101820c9151df41214ea6aea8a548c5b6f97c105f8f7e0b5",
        "items.jsonl": "297ba2aa76d564bd1fc5f9ea415ddb8a3f7c1386dcca1527127c19751f3b7da4",
    },
    "l": {
        "claims.yaml": "a996ebba1102e15c76e467431410fee45efb95d21c05d2e4f6f40b8d70c0d0c3",
        "items.jsonl": "bc058f7a97b6a9a7e0b6046f1f683eac1af7f68424a661ed7251cc2ed9f4d22f",
    },
    "m": {
        "claims.yaml": "717239b6b483fb7d8cf20614802b157ed755a811a26e75000e13a25d3ae2944a",
        "items.jsonl": "de42916c49b60b85a5ded43c1486d8439c24d1fb04a5146290eac359da035e1d",
    },
    "n": {
        "claims.yaml": "f69b7d73fd3b44d3fb8e46ce5b0626c57e228293014c484de3f78410e64ff057",
        "items.jsonl": "5ddeb728412534f73063b1a4642547050b2e43e70a37308e1134161bda2e08a5",
    },
    "o": {
        "claims.yaml": "f1cd4e0d853237714bec1bc87145cf5adc49087fab3e939798dc772c8d717bcc",
        "items.jsonl": "61241b69341b4a02950d892ff1bfbfb98c4703b4c76dfd82a47df7f7c708f9aa",
    },
    "p": {
        "claims.yaml": "6945d78de0b6128ad0684c5c00ab5e0d6f13064199f990b868997c1fa5da82ee",
        "items.jsonl": "e26ccd5c859324da2644ad557de077f33e26467a4d4d4252c2816a5a9918c4e3",
    },
    "q": {
        "claims.yaml": "ebc6c58363c7e6c833b5a77feb1a5bd7f7f499ff17acc2e81df90737485c06bf",
        "items.jsonl": "3737af35300606091c134b2c1223df240789efd8dac947983cd5dfa8aeb1fb6b",
    },
}

# The set is frozen: these are the SHA-256 digests of the two files as built. Changing a file
# means changing these on purpose (and saying why in docs/deskset.md), never by accident.
FROZEN_SHA256 = {
    "claims.yaml": "1b5ecd544795f36e05fa30baf725ab9bffd9baf480cb57c6fce49f5aa49ceddb",
    "items.jsonl": "f7c523ab99f603162725da2a7a67d4b333a703f24883a27f6c258fbe5c48690d",
}

# Desk set B's files, frozen the same way (docs/deskset.md, "Desk set B").
HOLDOUT_FROZEN_SHA256 = {
    "claims.yaml": "52895795995d477619b7d3d72ffd5335952d9fd2832bcf1c56f573af6ed21528",
    "items.jsonl": "053a19fead45befb25c2d625d1d6eaf6c384f2fc3e5886325e8ec860f03164d4",
}

_ITEM_FIELDS = {
    "id",
    "claim_id",
    "title",
    "body",
    "label",
    "attribution",
    "reported_denial",
    "source_url",
    "source_title",
    "published",
    "note",
}


class DeskSetError(ValueError):
    """The desk set files are malformed or break the set's rules."""


@dataclass(frozen=True)
class DeskClaim:
    id: str
    text: str
    beat: str
    split: Split


@dataclass(frozen=True)
class DeskItem:
    id: str
    claim_id: str
    title: str
    body: str
    label: Label
    attribution: str | None
    reported_denial: bool
    source_url: str
    source_title: str
    published: str | None
    note: str | None

    @property
    def text(self) -> str:
        """Title and body as one passage, the way a feed item reaches the pipeline."""
        return f"{self.title}\n\n{self.body}"


@dataclass(frozen=True)
class DeskSet:
    claims: dict[str, DeskClaim]
    items: tuple[DeskItem, ...]

    def split(self, name: Split) -> tuple[DeskItem, ...]:
        """The items whose claim is in the named split."""
        return tuple(i for i in self.items if self.claims[i.claim_id].split == name)

    def claims_in(self, name: Split) -> tuple[DeskClaim, ...]:
        return tuple(c for c in self.claims.values() if c.split == name)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_claims(path: Path = CLAIMS_FILE) -> list[DeskClaim]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise DeskSetError(f"{path.name}: expected a list of claims")
    claims = []
    for n, entry in enumerate(raw, 1):
        if not isinstance(entry, dict) or set(entry) != {"id", "text", "beat", "split"}:
            raise DeskSetError(f"{path.name}: claim {n} needs exactly id, text, beat, split")
        if entry["split"] not in SPLITS:
            raise DeskSetError(f"{path.name}: claim {entry['id']} has split {entry['split']!r}")
        claims.append(
            DeskClaim(
                id=str(entry["id"]),
                text=str(entry["text"]),
                beat=str(entry["beat"]),
                split=cast(Split, entry["split"]),
            )
        )
    return claims


def read_items(path: Path = ITEMS_FILE) -> list[DeskItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            raise DeskSetError(f"{path.name}: line {n} is not JSON") from err
        if not isinstance(entry, dict) or set(entry) != _ITEM_FIELDS:
            raise DeskSetError(f"{path.name}: line {n} needs exactly {sorted(_ITEM_FIELDS)}")
        if entry["label"] not in LABELS:
            raise DeskSetError(f"{path.name}: line {n} has label {entry['label']!r}")
        if not isinstance(entry["reported_denial"], bool):
            raise DeskSetError(f"{path.name}: line {n} reported_denial must be true or false")
        items.append(DeskItem(**entry))
    return items


def problems(
    claims: Iterable[DeskClaim], items: Iterable[DeskItem], rules: Rules = RULES
) -> list[str]:
    """Everything that breaks the set's rules; empty when the set is sound."""
    claims, items = list(claims), list(items)
    found: list[str] = []
    found += _duplicates("claim id", (c.id for c in claims))
    found += _duplicates("item id", (i.id for i in items))
    found += _duplicates("claim text", (c.text for c in claims))
    known = {c.id for c in claims}
    found += [
        f"item {i.id} refers to unknown claim {i.claim_id}"
        for i in items
        if i.claim_id not in known
    ]
    found += _item_problems(items)
    found += _count_problems(claims, items, rules)
    return found


def _duplicates(what: str, values: Iterable[str]) -> list[str]:
    return [f"duplicate {what}: {v}" for v, n in Counter(values).items() if n > 1]


def _item_problems(items: list[DeskItem]) -> list[str]:
    found = []
    for i in items:
        if not (i.title.strip() and i.body.strip() and i.source_url.strip()):
            found.append(f"item {i.id} lacks a title, body or source")
        if not i.source_url.startswith(("http://", "https://")):
            found.append(f"item {i.id} source is not a URL")
        if i.label in ("supports", "contradicts") and not i.attribution:
            found.append(f"item {i.id} takes a side but names no one holding it")
        if i.label == "unrelated" and i.attribution is not None:
            found.append(f"item {i.id} is unrelated but carries an attribution")
    return found


def _count_problems(claims: list[DeskClaim], items: list[DeskItem], rules: Rules) -> list[str]:
    found = []
    if len(items) < rules.items:
        found.append(f"{len(items)} items, fewer than {rules.items}")
    if len(claims) < rules.claims:
        found.append(f"{len(claims)} claims, fewer than {rules.claims}")
    labels = Counter(i.label for i in items)
    for label, least in rules.per_label.items():
        if labels[label] < least:
            found.append(f"{labels[label]} {label} items, fewer than {least}")
    beats = {c.beat for c in claims}
    if len(beats) < rules.beats:
        found.append(f"{len(beats)} beats, fewer than {rules.beats}")
    by_claim = Counter(i.claim_id for i in items)
    found += [f"claim {c.id} has no items" for c in claims if by_claim[c.id] == 0]
    for split in rules.splits:
        if not any(c.split == split for c in claims):
            found.append(f"no claims in the {split} split")
    found += [
        f"claim {c.id} is in the {c.split} split, which this set does not have"
        for c in claims
        if c.split not in rules.splits
    ]
    return found


def load(
    claims_path: Path = CLAIMS_FILE, items_path: Path = ITEMS_FILE, rules: Rules = RULES
) -> DeskSet:
    """Read and validate the desk set; raise DeskSetError listing every problem."""
    return _checked(read_claims(claims_path), read_items(items_path), rules)


def _checked(claims: list[DeskClaim], items: list[DeskItem], rules: Rules) -> DeskSet:
    """The set made of ``claims`` and ``items``, or DeskSetError listing every problem."""
    found = problems(claims, items, rules)
    if found:
        raise DeskSetError("; ".join(found))
    return DeskSet(claims={c.id: c for c in claims}, items=tuple(items))


def load_holdout(directory: Path = HOLDOUT_DIR) -> DeskSet:
    """Desk set B: every claim in ``report``, held out from all tuning."""
    return load(directory / CLAIMS_FILE.name, directory / ITEMS_FILE.name, HOLDOUT_RULES)


def load_c(directory: Path = C_DIR) -> DeskSet:
    """Desk set C: every claim in ``tune``, for choosing; never reported as the product's figure."""
    return load(directory / CLAIMS_FILE.name, directory / ITEMS_FILE.name, C_RULES)


def load_d(directory: Path = D_DIR) -> DeskSet:
    """Desk set D: every claim in ``report``, held out from all tuning like B."""
    return load(directory / CLAIMS_FILE.name, directory / ITEMS_FILE.name, D_RULES)


def load_tune_set(name: str, directory: Path | None = None) -> DeskSet:
    """Desk set ``name`` (E to Q, from ``directory``, default its own folder): every claim in
    ``tune``, for choosing; never reported as the product's figure."""
    if name not in TUNE_SETS_FROZEN_SHA256:
        raise DeskSetError(f"no desk set {name!r} among E to Q")
    where = directory or HERE / name
    return load(where / CLAIMS_FILE.name, where / ITEMS_FILE.name, TUNE_RULES)


def load_report() -> DeskSet:
    """Desk sets B and D as one held-out set (61 claims): the figure a desk should expect."""
    b, d = load_holdout(), load_d()
    claims, items = [*b.claims.values(), *d.claims.values()], [*b.items, *d.items]
    return _checked(claims, items, REPORT_RULES)


SETS: dict[str, Callable[[], DeskSet]] = {
    "main": load,
    "holdout": load_holdout,
    "c": load_c,
    "d": load_d,
    **{name: partial(load_tune_set, name) for name in TUNE_SETS_FROZEN_SHA256},
    "report": load_report,
}


def counts(desk: DeskSet) -> dict[str, Counter[str]]:
    """Counts the documentation reports: per label, per split and label, per beat."""
    return {
        "label": Counter(i.label for i in desk.items),
        "split": Counter(f"{desk.claims[i.claim_id].split}/{i.label}" for i in desk.items),
        "beat": Counter(desk.claims[i.claim_id].beat for i in desk.items),
        "claims_per_split": Counter(c.split for c in desk.claims.values()),
        "claims_per_beat": Counter(c.beat for c in desk.claims.values()),
        "attributed": Counter(
            "attributed" if i.attribution else "none" for i in desk.items if i.label != "unrelated"
        ),
        "reported_denial": Counter(str(i.reported_denial) for i in desk.items),
    }
