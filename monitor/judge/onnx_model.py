"""An embedding model exported to ONNX, run by ONNX Runtime: texts in, L2-normalised vectors out.

An export is a directory (made by :mod:`monitor.judge.onnx_export`) holding the transformer as
``model.onnx`` (and ``model-int8.onnx`` once quantized), the model's own fast tokenizer as
``tokenizer.json``, and ``layout.json``: what sentence-transformers does around the transformer
(truncation, lower-casing, pooling). Running it needs neither torch nor transformers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from monitor.errors import ModelError

Vectors = npt.NDArray[np.float32]
Pooling = Literal["mean", "cls"]

LAYOUT_FILE = "layout.json"
TOKENIZER_FILE = "tokenizer.json"
FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"


@dataclass(frozen=True)
class Layout:
    """What sentence-transformers does around the transformer, as read from the model."""

    max_seq_length: int
    do_lower_case: bool
    pooling: Pooling
    dimension: int

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Layout:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as err:
            raise ModelError(f"{path}: not a usable ONNX export layout: {err}") from err


def available_cores() -> int:
    """CPU cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class OnnxModel:
    """One exported model in an ONNX Runtime session; callers serialise ``encode``."""

    def __init__(self, directory: Path, file: str = FP32_FILE, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.layout = Layout.read(directory / LAYOUT_FILE)
        try:
            tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or available_cores()
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # warnings about the graph are for exporters, not users
            self._session = ort.InferenceSession(
                str(directory / file), options, providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # tokenizers and onnxruntime raise bare Exception subclasses
            raise ModelError(f"cannot load the ONNX export in {directory}: {err}") from err
        # Both are set explicitly: a tokenizer.json may carry its own (tokenizers ignores none).
        tokenizer.no_padding()
        tokenizer.enable_truncation(self.layout.max_seq_length)
        self._tokenizer = tokenizer
        self._inputs = [i.name for i in self._session.get_inputs()]
        unknown = set(self._inputs) - {"input_ids", "attention_mask", "token_type_ids"}
        if unknown:
            raise ModelError(f"{directory / file}: unexpected model inputs {sorted(unknown)}")

    def encode(self, texts: Sequence[str], batch_size: int = 16) -> Vectors:
        """Vectors of ``texts``, in order; batches are formed by token count, so pad little."""
        out = np.zeros((len(texts), self.layout.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenize(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            feed = _padded([encodings[i] for i in rows])
            hidden = self._session.run(None, {name: feed[name] for name in self._inputs})[0]
            out[rows] = _pool(self.layout.pooling, hidden, feed["attention_mask"])
        return out

    def word_pieces(self, texts: Sequence[str]) -> list[int]:
        """How many word pieces (tokens) the model reads of each text, after truncation."""
        return [len(e.ids) for e in self._tokenize(texts)]

    def _tokenize(self, texts: Sequence[str]) -> list[Any]:
        # As sentence-transformers does: strip, then lower-case where the model says so.
        prepared = [t.strip().lower() if self.layout.do_lower_case else t.strip() for t in texts]
        return list(self._tokenizer.encode_batch(prepared))


def _padded(encodings: Sequence[Any]) -> dict[str, npt.NDArray[np.int64]]:
    """Token ids, attention mask and token types of a batch, padded to its longest text."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        ids[row, :length] = encoding.ids
        types[row, :length] = encoding.type_ids
        mask[row, :length] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def _pool(
    pooling: Pooling, hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> Vectors:
    """Sentence vectors from token vectors: the model's pooling, then L2 normalisation."""
    if pooling == "cls":
        pooled = hidden[:, 0]
    else:
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    normalised: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised
