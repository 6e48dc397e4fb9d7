"""Export a sentence-transformers model to ONNX once, and find the export again after.

Exports live in a cache directory, one per model and content: ``<name>-<digest>/``, where the
digest covers the model's configuration, tokenizer and weights, so a changed model is exported
again and never read through a stale export. The fp32 export is checked against
sentence-transformers on a few sentences before it is kept; the int8 variant is quantized from
it (ONNX Runtime's dynamic quantization) and checked against it. Files appear by rename, and a
lock file keeps two processes starting together from exporting the same model twice.

Exporting needs torch and sentence-transformers; finding an export does not.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from monitor.errors import ModelError
from monitor.judge.onnx_model import (
    FP32_FILE,
    INT8_FILE,
    LAYOUT_FILE,
    TOKENIZER_FILE,
    Layout,
    OnnxModel,
    Pooling,
)

log = logging.getLogger(__name__)

# Part of every digest: bump it when an export made by this code would differ.
FORMAT = 1
OPSET = 17
# The fp32 export must give sentence-transformers' vectors; the int8 one must stay close to them
# (it measured 0.99 mean cosine; below this bound something went wrong, not just rounding).
FP32_MIN_COSINE = 0.9999
INT8_MIN_COSINE = 0.95
PROBES = (
    "Officials said the ceasefire would hold through the weekend.",
    "The ministry denied reports that the plant had been shut down.",
    "Résumé: la Commission européenne a publié ses prévisions — 北京 の 天気 😀",
    "x",
    "",
    # Longer than the model's sequence limit, so truncation is checked too.
    " ".join(["Inflation slowed for a third month as energy prices fell across the region."] * 40),
)
_HASHED_SUFFIXES = {".json", ".txt", ".model", ".safetensors", ".bin"}
_UNHASHED_DIRS = {"onnx", "openvino"}  # other runtimes' copies that some model repos ship


def exported(name: str, model_dir: Path, cache_dir: Path, *, quantized: bool = False) -> Path:
    """The directory of the current export of ``model_dir``, made first if missing."""
    entry = cache_dir / f"{_slug(name)}-{model_digest(model_dir)[:16]}"
    wanted = INT8_FILE if quantized else FP32_FILE
    if (entry / wanted).is_file():
        return entry
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _locked(cache_dir / f".{entry.name}.lock"):
            if not (entry / FP32_FILE).is_file():
                _export(name, model_dir, entry)
            if quantized and not (entry / INT8_FILE).is_file():
                _quantize(entry)
    except OSError as err:  # no write permission, a full disk: nothing half-written is kept
        raise ModelError(
            f"cannot write the ONNX export of embedding model {name} in {cache_dir}: {err}. "
            "Make that directory writable, point MONITOR_EMBEDDING_CACHE_DIR at one that is, "
            "export ahead of time with `monitor embeddings export` as a user who may write "
            "there, or run MONITOR_EMBEDDING_BACKEND=torch (no export)"
        ) from err
    return entry


def model_digest(model_dir: Path) -> str:
    """SHA-256 of what loading the model reads: configuration, tokenizer and weights."""
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: not a model directory")
    digest = hashlib.sha256(f"monitor-onnx-export-{FORMAT}".encode())
    for path in sorted(model_dir.rglob("*")):
        relative = path.relative_to(model_dir)
        if (
            path.suffix not in _HASHED_SUFFIXES
            or any(p.startswith(".") or p in _UNHASHED_DIRS for p in relative.parts)
            or not path.is_file()
        ):
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        with path.open("rb") as data:
            for chunk in iter(lambda: data.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", Path(name).name or name).strip("-.")[:48] or "model"


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (other processes wait)."""
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _export(name: str, model_dir: Path, entry: Path) -> None:
    """Export the fp32 model into ``entry``, checked against sentence-transformers."""
    started = time.perf_counter()
    log.info(
        "exporting embedding model %s to ONNX in %s: once per model and cache directory, "
        "about 20 s and 0.8 GiB of memory; later starts reuse it",
        name,
        entry,
    )
    model = _load(name, model_dir)
    reference = np.asarray(
        model.encode(
            list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        ),
        np.float32,
    )
    layout = _layout(name, model, dimension=reference.shape[1])
    with tempfile.TemporaryDirectory(dir=entry.parent, prefix=".export-") as tmp:
        work = Path(tmp)
        layout.write(work / LAYOUT_FILE)
        model.tokenizer.backend_tokenizer.save(str(work / TOKENIZER_FILE))
        _trace(model, work / FP32_FILE)
        lowest = _lowest_cosine(reference, OnnxModel(work, FP32_FILE).encode(PROBES))
        if lowest < FP32_MIN_COSINE:
            raise ModelError(
                f"the ONNX export of {name} gives other vectors than sentence-transformers "
                f"(cosine {lowest:.5f} on a test sentence): use MONITOR_EMBEDDING_BACKEND=torch"
            )
        entry.mkdir(exist_ok=True)
        for file in (LAYOUT_FILE, TOKENIZER_FILE, FP32_FILE):  # the model last: it marks done
            os.replace(work / file, entry / file)
    log.info("exported %s in %.1f s", name, time.perf_counter() - started)


def _load(name: str, model_dir: Path) -> Any:
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    except (OSError, ValueError, KeyError) as err:
        raise ModelError(f"cannot load embedding model {name!r} ({model_dir}): {err}") from err


def _layout(name: str, model: Any, dimension: int) -> Layout:
    """What the ONNX side must repeat; a model that is more than transformer + pooling fails."""
    kinds = [type(module).__name__ for module in model]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ModelError(
            f"the ONNX backend runs a transformer with mean or CLS pooling (and optionally "
            f"Normalize); {name} is {' → '.join(kinds)}: use MONITOR_EMBEDDING_BACKEND=torch"
        )
    transformer, pooling = model[0], model[1]
    if getattr(transformer, "backend", "torch") != "torch":
        raise ModelError(f"{name}: load it with the torch backend of sentence-transformers")
    if not hasattr(transformer.tokenizer, "backend_tokenizer"):
        raise ModelError(f"{name}: the ONNX backend needs a fast (Rust) tokenizer")
    return Layout(
        max_seq_length=int(model.max_seq_length),
        do_lower_case=bool(getattr(transformer, "do_lower_case", False)),
        pooling=_pooling(name, pooling.get_config_dict()),
        dimension=dimension,
    )


def _pooling(name: str, config: dict[str, Any]) -> Pooling:
    """Mean or CLS, from a Pooling module's configuration (sentence-transformers 3 to 6)."""
    mode = config.get("pooling_mode")
    if mode is None:  # before sentence-transformers 6: one flag per mode
        flags = [k for k, on in config.items() if k.startswith("pooling_mode_") and on is True]
        mode = "+".join(k.removeprefix("pooling_mode_") for k in flags)
    if mode in ("mean", "mean_tokens"):
        return "mean"
    if mode in ("cls", "cls_token"):
        return "cls"
    raise ModelError(
        f"the ONNX backend pools by mean or CLS token; {name} pools by {mode!r}: "
        "use MONITOR_EMBEDDING_BACKEND=torch"
    )


def _trace(model: Any, path: Path) -> None:
    """Write the transformer (token ids in, token vectors out) to ``path`` as ONNX."""
    import torch

    transformer = model[0].auto_model
    tokenizer = model.tokenizer
    # Plain ("eager") attention: ONNX Runtime runs its graph about 10% faster than SDPA's.
    if hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation("eager")
    sample = tokenizer(["A short one.", "A longer sentence, so the first is padded."], padding=True)
    names = [n for n in tokenizer.model_input_names if n in sample]

    class TokenVectors(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            output = self.transformer(**dict(zip(names, inputs, strict=True)))
            return output.last_hidden_state  # type: ignore[no-any-return]

    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    arguments = tuple(torch.tensor(sample[n]) for n in names)
    with warnings.catch_warnings(), torch.no_grad():
        # The TorchScript exporter is deprecated in favour of the dynamo one, which takes about
        # 10 s instead of 1.5 s here and makes a slower graph; torch 2.13 has both.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenVectors().eval(),
            arguments,
            str(path),
            dynamo=False,
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
        )


def _quantize(entry: Path) -> None:
    """Quantize the fp32 export's matrix multiplications to int8, checked against it."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    started = time.perf_counter()
    partial = entry / f".{INT8_FILE}.partial"
    # Per-channel weights: per-tensor ones cost 0.04 of cosine (0.96 mean against fp32) on CPUs
    # without VNNI. Only MatMul: quantizing the embedding tables gains nothing here.
    with _quiet_quantizer():
        quantize_dynamic(
            entry / FP32_FILE,
            partial,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    try:
        reference = OnnxModel(entry, FP32_FILE).encode(PROBES)
        lowest = _lowest_cosine(reference, OnnxModel(entry, partial.name).encode(PROBES))
        if lowest < INT8_MIN_COSINE:
            raise ModelError(
                f"the int8 export in {entry} is too far from fp32 (cosine {lowest:.3f} on a test "
                "sentence): use MONITOR_EMBEDDING_BACKEND=onnx"
            )
        os.replace(partial, entry / INT8_FILE)
    finally:
        partial.unlink(missing_ok=True)
    log.info("quantized %s to int8 in %.1f s", entry.name, time.perf_counter() - started)


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Silence the quantizer, which logs a line per tensor (and advice) on the root logger."""
    marker = os.path.join("onnxruntime", "quantization", "")

    def not_quantizer(record: logging.LogRecord) -> bool:
        return marker not in record.pathname

    root = logging.getLogger()
    root.addFilter(not_quantizer)
    try:
        yield
    finally:
        root.removeFilter(not_quantizer)


def _lowest_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(a * b, axis=1)))
