"""Fine-tuning the cross-encoder on a desk's own reporting: items labelled as a desk reads them
(a desk set, or the stances editors set, from ``monitor stance corrections --export``).

Each item is read through the window the pipeline builds: its passages closest to the claim's
phrasings (aliases included), then the cross-encoder's own window over title and body. The
labels are the desk's (supports, contradicts, mentions, unrelated), trained as the head's FNC-1
classes (agree, disagree, discuss, unrelated). Training continues from a cross-encoder
directory (the shipped one by default) with a small learning rate; the new directory keeps the
base's window, records what it was tuned on, and is read like any other
(docs/stance-research.md, section 11, chose the recipe).
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError, MonitorError
from monitor.judge.cross import CLASSES, MODEL_DIR, CrossEncoderStance, Manifest, _query_window
from monitor.judge.cross_training import RECIPE_V3, Example, Recipe, _save, _Schedule, _train
from monitor.judge.embed import Embedder
from monitor.judge.match import phrasings
from monitor.judge.passages import MAX_CHARS, MAX_PASSAGES, body_passages
from monitor.judge.stance import StanceQuery
from monitor.types import ClaimSpec

LABELS = {"supports": "agree", "contradicts": "disagree", "mentions": "discuss"}
LABELS["unrelated"] = "unrelated"
CLOSEST = 5  # passages the pipeline hands the stance model (monitor.judge.match)
MAX_FIELD = 20_000  # characters of a claim, title or body read from a file
SEED = 13


class DeskItemsError(MonitorError):
    """A file of desk items that cannot be read, with where and why."""


@dataclass(frozen=True)
class DeskTuning:
    """How the cross-encoder is tuned on desk items (chosen by 4-fold cross-validation over
    the first desk set's claims)."""

    epochs: int = 3
    learning_rate: float = 5e-5
    batch: int = 16
    seed: int = SEED
    negated_claims: bool = False  # also read related items against their claim's negation

    def recipe(self, base: Recipe) -> Recipe:
        return Recipe(
            caps=base.caps,
            epochs=self.epochs,
            window=base.window,
            learning_rate=self.learning_rate,
            batch=self.batch,
            synthetic_per_claim=0,
            name="desk",
        )


@dataclass(frozen=True)
class DeskRecord:
    claim: str
    title: str
    body: str
    label: str  # supports, contradicts, mentions or unrelated


def read_items(path: Path) -> list[DeskRecord]:
    """JSON lines with ``claim``, ``title``, ``body`` and ``label`` (other fields are ignored);
    a bad line is named with its number and the problem."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DeskItemsError(f"{path}: cannot read: {err}") from err
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as err:
            raise DeskItemsError(f"{path}, line {number}: not JSON ({err})") from err
        if not isinstance(data, dict):
            raise DeskItemsError(f"{path}, line {number}: not a JSON object")
        fields = {}
        for name in ("claim", "title", "body", "label"):
            value = data.get(name, "" if name in ("title", "body") else None)
            if not isinstance(value, str):
                raise DeskItemsError(f"{path}, line {number}: {name!r} must be a string")
            fields[name] = value[:MAX_FIELD]
        if fields["label"] not in LABELS:
            shown = fields["label"][:40]
            raise DeskItemsError(
                f"{path}, line {number}: label {shown!r} is none of {', '.join(LABELS)}"
            )
        if not fields["claim"].strip() or not (fields["title"] + fields["body"]).strip():
            raise DeskItemsError(f"{path}, line {number}: needs a claim and a title or body")
        records.append(DeskRecord(**fields))
    if not records:
        raise DeskItemsError(f"{path}: no items")
    return records


def query(record: DeskRecord, embedder: Embedder) -> StanceQuery:
    """What the pipeline asks the stance model about this item (monitor.judge.match)."""
    title = record.title[:MAX_CHARS]
    body = [p for p in body_passages(record.body) if p != title]
    passages = ([title] if title else []) + body[: MAX_PASSAGES - 1]
    claim_vectors = embedder.encode(list(phrasings(ClaimSpec(key="claim", text=record.claim))))
    similarity = (embedder.encode(passages) @ claim_vectors.T).max(axis=1)
    order = np.argsort(-similarity, kind="stable")[:CLOSEST]
    closest = tuple(passages[int(i)] for i in order)
    return StanceQuery(record.claim, closest, record.title, record.body)


NEGATION = "It is not true that "
SWAPPED = {"supports": "contradicts", "contradicts": "supports", "mentions": "mentions"}
NEGATED_SOURCE = "desk-negated"  # the examples read against the claim's negation


def negated(claim: str) -> str:
    """The claim's negation, worded the same for every claim: a support of the claim
    contradicts it, a contradiction supports it, a mention stays one."""
    return NEGATION + claim.strip().rstrip(".")


def examples(
    records: Sequence[DeskRecord],
    embedder: Embedder,
    model: CrossEncoderStance,
    *,
    negated_claims: bool = False,
) -> list[Example]:
    """Each record as the pipeline's window over it; with ``negated_claims``, each related one
    also read against its claim's negation (the same window), so that a negation in the item
    teaches the claim's polarity, not a class (docs/stance-research.md, section 22)."""
    how = model.window
    found = []
    for r in records:
        text = _query_window(query(r, embedder), how)[0]
        found.append(Example(r.claim, text, CLASSES.index(LABELS[r.label]), "desk"))
        if negated_claims and r.label in SWAPPED:
            label = CLASSES.index(LABELS[SWAPPED[r.label]])
            found.append(Example(negated(r.claim), text, label, NEGATED_SOURCE))
    return found


def replay_examples(data: Path, count: int, seed: int = SEED) -> list[Example]:
    """A seeded sample of ``count`` training examples of the FNC-1 claim split's train part
    (with the synthetic items), windowed as the shipped model was trained: trained beside the
    desk's items, they keep the head's FNC-1 classes where the definitions agree."""
    from monitor.judge.cross_training import prepare

    pool = prepare(data, "claim", seed, recipe=RECIPE_V3).train
    picked = np.random.RandomState(seed).permutation(len(pool))[:count]
    return [pool[int(i)] for i in sorted(picked)]


def tune(
    records: Sequence[DeskRecord],
    embedder: Embedder,
    out: Path,
    *,
    base: Path = MODEL_DIR,
    how: DeskTuning = DeskTuning(),
    replay: Sequence[Example] = (),
    source: str = "",
    log: Callable[[str], None] = print,
) -> str:
    """Continue training the cross-encoder at ``base`` on ``records`` (and the ``replay``
    examples after them); write it to ``out``. Returns the new weights' SHA-256."""
    import torch

    if out.resolve() == base.resolve():
        raise ModelError(f"{out}: write the tuned model to another folder than its base")
    started = time.perf_counter()
    torch.manual_seed(how.seed)
    model = CrossEncoderStance(base)
    loaded = model._load()
    recipe = how.recipe(RECIPE_V3)
    recipe = Recipe(**{**recipe.__dict__, "window": loaded.window})
    found = [*examples(records, embedder, model, negated_claims=how.negated_claims), *replay]
    network: Any = copy.deepcopy(loaded.model)
    network.float().train()
    network.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    steps = _Schedule(network, len(found), recipe)
    _train(
        network, loaded.tokenizer, found, steps,
        device="cpu", seed=how.seed, recipe=recipe, checkpoint=None, log=log,
    )  # fmt: skip
    network.eval()
    counts: dict[str, int] = {}
    for item in records:
        counts[item.label] = counts.get(item.label, 0) + 1
    mirrored = sum(e.source == NEGATED_SOURCE for e in found)
    manifest = tuned_manifest(
        Manifest.read(base).record,
        base.name,
        command=f"monitor stance tune --items {source or 'ITEMS.jsonl'}"
        + ("" if base.resolve() == MODEL_DIR.resolve() else f" --base {base.name}")
        + f" --out {out.name}"
        + (f" --replay {len(replay)} --data fnc1" if replay else "")
        + (" --negated-claims" if how.negated_claims else ""),
        tuned_on={
            "items": counts,
            "sha256": _digest(records),
            "source": source,
            "fnc_replay": len(replay),
            "negated_claims": mirrored,
        },
        how=how,
        seconds=round(time.perf_counter() - started),
    )
    sha = _save(network, base, out, manifest)
    seconds = manifest["training_seconds"]
    log(
        f"wrote {out} (sha256 {sha}): {len(records)} items, {mirrored} read against negated "
        f"claims, {len(replay)} replayed, {seconds} s"
    )
    return sha


# What a cross-encoder's reading depends on: kept at the top of a tuned model's manifest.
_READING = ("base", "classes", "max_tokens", "window_words", "cue_weight", "layers", "split")


def tuned_manifest(
    base_record: dict[str, Any],
    base_name: str,
    *,
    command: str,
    tuned_on: dict[str, Any],
    how: DeskTuning,
    seconds: int,
) -> dict[str, Any]:
    """The manifest of a model tuned from ``base_record``'s: how this one reads and was made at
    the top, the base's own record (its training, figures and provenance) under
    ``tuned_from``, so that tuning a tuned model keeps the whole chain."""
    return {
        **{k: base_record[k] for k in _READING if k in base_record},
        "command": command,
        "made_by": f"monitor stance tune (monitor/judge/desk_tuning.py) from {base_name}",
        "bias": [0.0] * len(CLASSES),  # the desk's own labels set the classes' balance
        **how.__dict__,
        "training_seconds": seconds,
        "tuned_on": tuned_on,
        "tuned_from": {"model": base_name, **base_record},
    }


def _digest(records: Sequence[DeskRecord]) -> str:
    text = json.dumps([r.__dict__ for r in records], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
