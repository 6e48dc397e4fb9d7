"""The cross-encoder stance model: reads the claim and the item's closest passages together.

A 6-layer MiniLM (fine-tuned from the shipped all-MiniLM-L6-v2) with a 4-way head reads
``[CLS] claim [SEP] window [SEP]``, where the window is the item's title, then its sentences
that share the most words with the claim, closest first, cut to the model's tokens in all
(:class:`Window`, which its manifest records).
Its classes are FNC-1's: unrelated, discuss (mentions), agree
(supports), disagree (contradicts). A stance result carries ``related`` = 1 - p(unrelated) and
the stance among the three related classes, with its probability given that the item is related.

The weights ship in ``models/stance-ce-v10/`` as float16 safetensors (loaded as float32), with
the tokenizer, the model config and a manifest holding their SHA-256 and how they were made:
``monitor stance train --recipe v3`` (:mod:`monitor.judge.cross_training`) makes the FNC-1
model (v3), and ``monitor stance tune`` (:mod:`monitor.judge.desk_tuning`) continues it on the
development desk sets' items (the first set, C, E, F, G and H) and the written training pairs
(``bench/written/``) with a replay of FNC-1's train part (v7). The same command tunes a copy on
a desk's own labelled items. torch and tokenizers load on first use, or at start
(:meth:`CrossEncoderStance.load`: `monitor run` and `worker`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError
from monitor.judge import features as F
from monitor.judge.fnc import Progress
from monitor.judge.passages import body_passages
from monitor.judge.stance import LoadsModel, StanceClassifier, StanceQuery
from monitor.types import Stance, StanceResult

MODEL_DIR = Path(__file__).parent / "models" / "stance-ce-v10"
# Where `monitor stance train` writes the FNC-1 model the shipped one was tuned from (v3).
FNC_BASE_DIR = MODEL_DIR.parent / "stance-ce-v3"
CLASSES = ("unrelated", "discuss", "agree", "disagree")  # FNC-1 names, in the head's order
STANCE_OF = {
    "discuss": Stance.MENTIONS,
    "agree": Stance.SUPPORTS,
    "disagree": Stance.CONTRADICTS,
}
MAX_SENTENCES = 60
BATCH = 16
_KEY = re.compile(r"[a-z0-9]+")
_CUES = F.REFUTE | F.CONFIRM  # words that take a position: denial, refutation, confirmation


@dataclass(frozen=True)
class Window:
    """How a model reads an item; part of the model (its manifest says, the service obeys).

    ``tokens``: claim and window together (the cost of a pair grows with it, docs/stance.md);
    ``words``: words of passages read (the tokenizer cuts at ``tokens`` anyway);
    ``cue_weight``: what a passage carrying a word that takes a position (denied, hoax,
    confirmed) counts for when passages are chosen, in words shared with the claim (0: only
    shared words count). The defaults are stance-ce-v1's, for a manifest that names none.
    """

    tokens: int = 64
    words: int = 50
    cue_weight: float = 0.0

    def as_record(self) -> dict[str, Any]:
        return {
            "max_tokens": self.tokens,
            "window_words": self.words,
            "cue_weight": self.cue_weight,
        }

    @classmethod
    def of(cls, record: Mapping[str, Any], limit: int = 512) -> Window:
        """The window a manifest records (v1's where it names none); ``limit``: the most
        tokens the network takes."""
        default = cls()
        try:
            how = cls(
                int(record.get("max_tokens", default.tokens)),
                int(record.get("window_words", default.words)),
                float(record.get("cue_weight", default.cue_weight)),
            )
        except (TypeError, ValueError) as err:
            raise ModelError(f"the manifest's window is not readable: {err}") from err
        if not (8 <= how.tokens <= limit and how.words > 0 and how.cue_weight >= 0):
            raise ModelError(f"the manifest's window {how} does not fit a model of {limit} tokens")
        return how


V1_WINDOW = Window()


def key_words(text: str) -> set[str]:
    """Content words cut to six letters (a cheap stem: 'supplies', 'supplying' -> 'suppli')."""
    return {w[:6] for w in _KEY.findall(text.lower()) if len(w) > 2 and w not in F.STOP}


def closest(claim: str, sentences: Sequence[str], cue_weight: float = 0.0) -> list[int]:
    """Indices of ``sentences``, most content words shared with the claim first (a sentence
    with a position-taking word counts ``cue_weight`` more), then in order."""
    keys = key_words(claim)
    rank = [
        len(keys & key_words(s)) + (cue_weight if cue_weight and _CUES & set(F.words(s)) else 0)
        for s in sentences
    ]
    return sorted(range(len(sentences)), key=lambda i: (-rank[i], i))


def window(
    claim: str,
    sentences: Sequence[str],
    lead: str = "",
    first: str = "",
    how: Window = V1_WINDOW,
) -> tuple[str, list[str]]:
    """The text the model reads with the claim, and its passages (lead, then closest first).

    ``lead`` is the item's title (or the first sentence of a body without one); ``first`` a
    passage that must be read (the one the matcher found closest), then the sentences that
    share most words with the claim, while ``how.words`` lasts (at least one).
    """
    words = how.words
    chosen = [p for p in dict.fromkeys([lead, first]) if p]
    used = sum(len(p.split()) for p in chosen)
    for i in closest(claim, sentences, how.cue_weight):
        sentence = sentences[i]
        if sentence in chosen:
            continue
        if used and used + len(sentence.split()) > words and len(chosen) > (1 if lead else 0):
            break
        chosen.append(sentence)
        used += len(sentence.split())
    return " ".join(chosen), chosen


def body_window(
    claim: str, body: str, title: str = "", first: str = "", how: Window = V1_WINDOW
) -> tuple[str, list[str]]:
    """:func:`window` over a body's sentences (FNC-1 bodies have no title)."""
    sentences = body_passages(body, MAX_SENTENCES)
    return window(claim, [s for s in sentences if s != title], title, first, how)


def is_model_dir(name: str) -> bool:
    """Whether ``name`` is a folder holding a cross-encoder of this project (one that
    ``monitor stance tune`` wrote, say): weights and a manifest naming the head's classes."""
    path = Path(name)
    try:
        record = json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    return (path / "model.safetensors").is_file() and record.get("classes") == list(CLASSES)


@dataclass(frozen=True)
class Manifest:
    """What the model directory holds: the weights' checksum and how they were made."""

    sha256: str
    record: dict[str, Any]

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        try:
            record = json.loads((directory / "manifest.json").read_text())
            return cls(str(record["sha256"]), record)
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"stance model not readable at {directory}: {err}") from err


class _Loaded:
    """The tokenizer and the network, float32 on the CPU (or the given device)."""

    def __init__(self, directory: Path, device: str) -> None:
        import torch
        from transformers import BertConfig

        manifest = Manifest.read(directory)
        try:
            data = (directory / "model.safetensors").read_bytes()
            config = BertConfig.from_json_file(str(directory / "config.json"))
        except (OSError, ValueError) as err:
            raise ModelError(f"stance model not readable at {directory}: {err}") from err
        tokenizer = _tokenizer(directory / "tokenizer.json")
        actual = hashlib.sha256(data).hexdigest()
        if actual != manifest.sha256:
            raise ModelError(f"{directory}: weights checksum {actual} is not {manifest.sha256}")
        model = _network(directory, data, config)
        # How the model reads is part of the model.
        try:
            self.window = Window.of(manifest.record, config.max_position_embeddings)
        except ModelError as err:
            raise ModelError(f"{directory}: {err}") from err
        tokenizer.enable_truncation(self.window.tokens, strategy="longest_first")
        tokenizer.no_padding()
        self.torch = torch
        self.bias = np.asarray(manifest.record.get("bias", [0.0] * len(CLASSES)), np.float32)
        self.model = model
        self.model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device


def _network(directory: Path, data: bytes, config: Any) -> Any:
    """The network ``config`` describes with the weights ``data`` (of ``directory``, which a
    ModelError names when they cannot be read or do not fit)."""
    from safetensors import SafetensorError
    from safetensors.torch import load
    from transformers import BertForSequenceClassification

    model: Any = BertForSequenceClassification(config)
    try:
        state = {k: v.float() for k, v in load(data).items()}
        missing, unexpected = model.load_state_dict(state, strict=False)
    except (SafetensorError, RuntimeError) as err:  # not safetensors; shapes not the config's
        raise ModelError(f"{directory}: weights not readable with its config: {err}") from err
    if [k for k in missing if not k.endswith("position_ids")] or unexpected:
        raise ModelError(f"{directory}: weights do not fit the config ({missing or unexpected})")
    return model


def _tokenizer(path: Path) -> Any:
    """The tokenizer saved at ``path``; a ModelError naming the file if it cannot be read."""
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(path))
    except Exception as err:  # tokenizers raises a bare Exception, for a missing file too
        raise ModelError(f"stance model not readable at {path.parent}: {path.name}: {err}") from err


class CrossEncoderStance:
    """Stance from the shipped cross-encoder (or one at ``directory``), loaded on first use
    or by :meth:`load`.

    ``relatedness``: another classifier whose ``related`` replaces the cross-encoder's own, and
    which is asked first so that only the candidates it can keep are read (the service passed
    the built-in feature model until round 21; since, the cross-encoder's own relatedness,
    read for every candidate, decides better on reporting nobody tuned on, and the relevance
    decision is calibrated on it: docs/stance-research.md, section 26). ``bench desk
    --builtin-relatedness`` still runs the old pairing.
    """

    def __init__(
        self,
        directory: Path = MODEL_DIR,
        device: str = "cpu",
        relatedness: StanceClassifier | None = None,
    ) -> None:
        self.directory = directory
        self.device = device
        self.relatedness = relatedness
        self._loaded: _Loaded | None = None
        self._lock = threading.RLock()  # one load, one forward pass at a time

    @property
    def window(self) -> Window:
        """How this model reads an item (its manifest's window)."""
        return self._load().window

    def load(self) -> str:
        """Load the network and its tokenizer now if they are not loaded yet, and the model of
        the ``relatedness`` classifier; what was loaded, for the log."""
        self._load()
        loaded = f"cross-encoder {self.directory}"
        if isinstance(self.relatedness, LoadsModel):
            loaded += f" (relatedness: {self.relatedness.load()})"
        return loaded

    def _load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = _Loaded(self.directory, self.device)
            return self._loaded

    def probabilities(
        self,
        pairs: Sequence[tuple[str, str]],
        progress: Callable[[Iterable[int]], Iterable[int]] = iter,
    ) -> np.ndarray:
        """Class probabilities (columns in ``CLASSES`` order) for (claim, window) pairs.

        Pairs are run in order of token count, so a batch pads little.
        """
        out = np.zeros((len(pairs), len(CLASSES)), dtype=np.float32)
        if not pairs:
            return out
        with self._lock:
            loaded = self._load()
            encoded = loaded.tokenizer.encode_batch(list(pairs))
            order = sorted(range(len(encoded)), key=lambda i: (len(encoded[i].ids), i))
            torch = loaded.torch
            with torch.inference_mode():
                for start in progress(range(0, len(order), BATCH)):
                    rows = order[start : start + BATCH]
                    out[rows] = _forward(loaded, [encoded[i] for i in rows])
        return out

    def related(self, queries: Sequence[StanceQuery]) -> list[float] | None:
        """The relatedness the ``relatedness`` classifier gives (None without one), without
        running the network: the pipeline reads the stance only where it can matter."""
        if self.relatedness is None:
            return None
        return [r.related for r in self.relatedness.classify(queries)] if queries else []

    def classify(
        self, queries: Sequence[StanceQuery], related: Sequence[float] | None = None
    ) -> list[StanceResult]:
        """Each query's stance; ``related`` (from :meth:`related`) replaces the relatedness
        that would otherwise be asked of the ``relatedness`` classifier again."""
        windows = [_query_window(q, self.window) for q in queries]
        probabilities = self.probabilities(
            [(q.claim, w) for q, (w, _) in zip(queries, windows, strict=True)]
        )
        bias = self._load().bias
        results = [
            _result(query, row, passages, bias)
            for query, row, (_, passages) in zip(queries, probabilities, windows, strict=True)
        ]
        if related is None:
            related = self.related(queries)
        if related is None or not queries:
            return results
        return [replace(r, related=o) for r, o in zip(results, related, strict=True)]

    def predict_fnc(
        self, pairs: Sequence[tuple[str, str]], bodies: dict[str, str], progress: Progress = iter
    ) -> list[str]:
        """FNC-1 labels for (headline, body id) pairs."""
        how = self.window
        inputs = [(h, body_window(h, bodies[b], how=how)[0]) for h, b in pairs]
        probabilities = self.probabilities(inputs, progress)
        scores = np.log(np.maximum(probabilities, 1e-9)) + self._load().bias
        return [CLASSES[int(i)] for i in scores.argmax(axis=1)]


def _forward(loaded: _Loaded, encodings: Sequence[Any]) -> np.ndarray:
    torch = loaded.torch
    width = max(len(e.ids) for e in encodings)

    def padded(field: str) -> Any:
        rows = [getattr(e, field) + [0] * (width - len(e.ids)) for e in encodings]
        return torch.tensor(rows, dtype=torch.long, device=loaded.device)

    logits = loaded.model(
        input_ids=padded("ids"),
        token_type_ids=padded("type_ids"),
        attention_mask=padded("attention_mask"),
    ).logits
    return np.asarray(torch.softmax(logits.float(), dim=-1).cpu().numpy())


def _query_window(query: StanceQuery, how: Window) -> tuple[str, list[str]]:
    first = query.passages[0] if query.passages else ""
    if query.body:
        return body_window(query.claim, query.body, query.title, first, how)
    rest = list(query.passages[1:])
    return window(query.claim, rest, query.title, first, how)


def _result(
    query: StanceQuery, row: np.ndarray, passages: Sequence[str], bias: np.ndarray
) -> StanceResult:
    """The likeliest stance given that the item is related, and the passage to quote.

    The class offsets tuned on validation (``bias`` in the manifest) are added to the
    log-probabilities before choosing, as in training's figures. An explicit denial in one of
    the two passages closest to the claim ("has not supplied", "denied", "baseless") makes the
    item a contradiction, quoting it, whatever the model said: the same rule as the built-in
    model's (:func:`monitor.judge.builtin.denial`), in the pipeline's path only (``monitor
    stance predict`` and the FNC-1 figures do not apply it). A plain negation reported on the
    record ("Iran has not supplied drones, the spokesman said") is what the model most often
    reads as a mention.

    The quote of a contradiction is the matcher's closest passage that carries refuting or
    negating words, else such a passage of the window (the title last); otherwise the passage
    the matcher found closest (else the first read).
    """
    from monitor.judge.builtin import denial  # here: training imports this module, not builtin's

    related = float(1.0 - row[0])
    best = 1 + int((np.log(np.maximum(row[1:], 1e-9)) + bias[1:]).argmax())
    stance = STANCE_OF[CLASSES[best]]
    confidence = float(row[best] / related) if related > 0 else 0.0
    quote = query.passages[0] if query.passages else (passages[0] if passages else query.title)
    found = denial(query)
    if found is not None:
        return StanceResult(Stance.CONTRADICTS, min(confidence, 1.0), found, related)
    if stance is Stance.CONTRADICTS:
        order = [*query.passages, *(p for p in passages if p != query.title), query.title]
        quote = next((p for p in order if set(F.words(p)) & (F.REFUTE | F.NEGATION)), quote)
    return StanceResult(stance, min(confidence, 1.0), quote, related)
