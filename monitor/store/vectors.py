"""The archive of passage embeddings: what claim previews and backfills search.

Vectors are stored per (item, passage index, model key) as float32 bytes, so vectors of one
model are never compared with another's. :class:`SqlVectorStore` searches them with numpy, a
chunk of rows at a time; on PostgreSQL with pgvector, :class:`monitor.store.pgvector.PgVectorStore`
replaces it behind :class:`VectorStore` (an HNSW index per model), grouping what it finds the same
way (:func:`rank_items`), so either answers a search alike.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.tables import ItemRow, PassageVectorRow

SEARCH_CHUNK = 20_000  # rows scored per step: bounds the memory a search takes
CONTEXT = 5  # passages kept per matched item, closest first


@dataclass(frozen=True)
class PassageMatch:
    """An archived item close to a claim: its best score and its closest passages."""

    item_id: int
    score: float
    passages: tuple[str, ...]  # closest first

    @property
    def passage(self) -> str:
        return self.passages[0]


Passages = Mapping[int, Sequence[str]]  # item id -> its passages, in order
Vectors = Mapping[str, npt.NDArray[np.float32]]  # passage -> its vector
Scored = dict[int, list[tuple[float, str]]]  # item id -> (score, passage) in passage order


@dataclass(frozen=True)
class Search:
    """One search of the archive: the model, the claim vectors, how many items, how close."""

    model_key: str
    claims: npt.NDArray[np.float32]
    k: int
    min_score: float
    source_ids: Collection[int] | None = None  # None: items of every source


class VectorStore(ABC):
    """Stores item passage vectors and finds the items closest to a set of claim vectors."""

    name: str  # what the logs and `monitor status` call it

    @abstractmethod
    def add(self, model_key: str, passages: Passages, vector_of: Vectors) -> None:
        """Store the vectors of each item's passages; an item stored again (judged again
        after a crash) replaces its rows."""

    @abstractmethod
    def stored(self, model_key: str, item_ids: Collection[int]) -> set[int]:
        """Those of ``item_ids`` whose passages have vectors of ``model_key``."""

    def search(
        self,
        model_key: str,
        claim_vectors: npt.NDArray[np.float32],
        k: int,
        min_score: float,
        source_ids: Collection[int] | None = None,
    ) -> list[PassageMatch]:
        """The ``k`` items whose best passage is closest (cosine) to any claim vector and at
        least ``min_score``, best first; only items of ``source_ids`` when given."""
        if len(claim_vectors) == 0 or k <= 0:
            return []
        claims = np.asarray(claim_vectors, dtype=np.float32)
        return rank_items(self._candidates(Search(model_key, claims, k, min_score, source_ids)), k)

    @abstractmethod
    def _candidates(self, search: Search) -> Scored:
        """The passages scoring at least ``min_score`` of the items that may be among the
        ``k`` best (every passage of those items, so :func:`rank_items` ranks them exactly)."""


def passage_rows(
    model_key: str,
    passages: Passages,
    vector_of: Vectors,
    column: str,
    encode: Callable[[npt.NDArray[np.float32]], Any],
) -> list[dict[str, Any]]:
    """One row per passage of each item, its vector encoded for the store's ``column``."""
    return [
        {
            "item_id": item_id,
            "passage_index": index,
            "model_key": model_key,
            "passage": text,
            column: encode(vector_of[text]),
        }
        for item_id, texts in passages.items()
        for index, text in enumerate(texts)
    ]


class SqlVectorStore(VectorStore):
    """Vectors in the ``passage_vectors`` table, searched exhaustively with numpy."""

    name = "numpy (exhaustive scan)"

    def __init__(self, engine: Engine, write_lock: AbstractContextManager[Any] | None = None):
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._write_lock = write_lock or contextlib.nullcontext()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Session]:
        with self._write_lock, self._sessions.begin() as session:
            yield session

    def add(self, model_key: str, passages: Passages, vector_of: Vectors) -> None:
        rows = passage_rows(
            model_key,
            passages,
            vector_of,
            "vector",
            lambda vector: np.asarray(vector, dtype=np.float32).tobytes(),
        )
        if not rows:
            return
        with self._transaction() as session:
            session.execute(
                delete(PassageVectorRow).where(
                    PassageVectorRow.model_key == model_key,
                    PassageVectorRow.item_id.in_(list(passages)),
                )
            )
            session.execute(insert(PassageVectorRow), rows)

    def stored(self, model_key: str, item_ids: Collection[int]) -> set[int]:
        if not item_ids:
            return set()
        query = select(PassageVectorRow.item_id).where(
            PassageVectorRow.model_key == model_key,
            PassageVectorRow.item_id.in_(list(item_ids)),
        )
        with self._sessions() as session:
            return set(session.scalars(query.distinct()))

    def _candidates(self, search: Search) -> Scored:
        """Every passage of the model scoring at least ``min_score``, read a chunk at a time."""
        query = (
            select(PassageVectorRow.item_id, PassageVectorRow.passage, PassageVectorRow.vector)
            .where(PassageVectorRow.model_key == search.model_key)
            .order_by(PassageVectorRow.item_id, PassageVectorRow.passage_index)
        )
        if search.source_ids is not None:
            query = query.join(ItemRow, ItemRow.id == PassageVectorRow.item_id).where(
                ItemRow.source_id.in_(list(search.source_ids))
            )
        scored: Scored = {}
        with self._sessions() as session:
            result = session.execute(query.execution_options(yield_per=SEARCH_CHUNK))
            for chunk in result.partitions(SEARCH_CHUNK):
                _score_chunk(chunk, search.claims, search.claims.shape[1], search.min_score, scored)
        return scored


def _score_chunk(
    chunk: Sequence[Any],
    claims: npt.NDArray[np.float32],
    dim: int,
    min_score: float,
    scored: Scored,
) -> None:
    """Score a chunk of (item id, passage, vector bytes) rows; keep those above ``min_score``."""
    usable = [row for row in chunk if len(row[2]) == dim * 4]  # another dimension: skip
    if not usable:
        return
    matrix = np.frombuffer(b"".join(row[2] for row in usable), dtype=np.float32)
    scores = (matrix.reshape(len(usable), dim) @ claims.T).max(axis=1)
    for row, score in zip(usable, scores, strict=True):
        if score >= min_score:
            scored.setdefault(row[0], []).append((float(score), row[1]))


def rank_items(scored: Mapping[int, list[tuple[float, str]]], k: int) -> list[PassageMatch]:
    """The ``k`` best items of ``scored`` (item id -> (score, passage) in passage order): by
    best score, then item id; each with its closest passages (ties in passage order)."""
    best = sorted(scored.items(), key=lambda pair: (-max(pair[1])[0], pair[0]))[:k]
    return [_match(item_id, list(found)) for item_id, found in best]


def _match(item_id: int, found: list[tuple[float, str]]) -> PassageMatch:
    found.sort(key=lambda pair: -pair[0])
    return PassageMatch(item_id, round(found[0][0], 4), tuple(text for _, text in found[:CONTEXT]))
