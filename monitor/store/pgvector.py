"""The archive of passage embeddings on PostgreSQL with pgvector, searched through HNSW indexes.

Embeddings of every model share one table, ``passage_embeddings``, in an untyped ``vector``
column. Each model gets its own partial expression index (the way pgvector's README indexes
mixed dimensions), made on the model's first :meth:`PgVectorStore.add`::

    CREATE INDEX ... USING hnsw ((embedding::vector(384)) vector_cosine_ops)
        WHERE model_key = 'all-MiniLM-L6-v2'

A search asks that index for each claim vector's nearest passages, keeps the best k items among
them, then scores those items' passages exactly and groups them as
:class:`~monitor.store.vectors.SqlVectorStore` does, so the two answer alike. The index is
approximate, and it yields at most ``hnsw.ef_search`` rows: where it cannot vouch for the
answer (a source filter left fewer rows than asked for, or every candidate scores above
``min_score`` yet they hold fewer than k items), every passage of the model is scored in SQL.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import BindParameter, Connection, Engine, TextClause, bindparam, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import ConfigError, StorageError
from monitor.store.vectors import (
    CONTEXT,
    Passages,
    Scored,
    Search,
    SqlVectorStore,
    Vectors,
    VectorStore,
    passage_rows,
)

TABLE = "passage_embeddings"
HNSW_MAX_DIMENSIONS = 2000  # pgvector's limit for an indexed vector column
MAX_EF_SEARCH = 1000  # hnsw.ef_search's upper bound: the most candidates one index scan yields
MIN_CANDIDATES = 100
VECTOR_STORES = ("auto", "numpy", "pgvector")


def index_name(model_key: str, dim: int) -> str:
    """The name of the HNSW index of ``model_key``'s ``dim``-dimensional embeddings (the key
    hashed: any key makes a safe name)."""
    digest = hashlib.sha256(model_key.encode("utf-8")).hexdigest()[:16]
    return f"{TABLE}_hnsw_{digest}_{int(dim)}"


def quoted(model_key: str) -> str:
    """``model_key`` as an SQL string literal for :func:`sqlalchemy.text` (a partial index is
    matched on literals only): quotes doubled (standard_conforming_strings, on since PostgreSQL
    9.1), colons escaped so that ``text`` does not read them as bind parameters."""
    if "\x00" in model_key:
        raise StorageError(f"model key {model_key!r} holds a NUL character")
    return "'" + model_key.replace("'", "''").replace(":", "\\:") + "'"


def index_ddl(model_key: str, dim: int) -> str:
    """CREATE INDEX (if missing) for ``model_key``'s ``dim``-dimensional embeddings."""
    return (
        f'CREATE INDEX IF NOT EXISTS "{index_name(model_key, dim)}" ON {TABLE} '
        f"USING hnsw ((embedding::vector({int(dim)})) vector_cosine_ops) "
        f"WHERE model_key = {quoted(model_key)}"
    )


def vector_literal(vector: npt.NDArray[np.float32]) -> str:
    """pgvector's text form of ``vector`` (``[0.1, 0.2, ...]``); float32 values survive exactly."""
    return str(np.asarray(vector, dtype=np.float32).astype(np.float64).tolist())


def pgvector_ready(connection: Connection) -> bool:
    """Whether the database is PostgreSQL with the ``passage_embeddings`` table (so pgvector)."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(connection.execute(text(f"SELECT to_regclass('{TABLE}') IS NOT NULL")).scalar())


def open_vector_store(
    engine: Engine, write_lock: AbstractContextManager[Any], choice: str = "auto"
) -> VectorStore:
    """The archive ``choice`` names (``auto``: pgvector where the database has it, else numpy)."""
    if choice not in VECTOR_STORES:
        raise ConfigError(f"vector_store: {choice!r} is not one of {', '.join(VECTOR_STORES)}")
    if choice == "numpy" or (choice == "auto" and engine.dialect.name != "postgresql"):
        return SqlVectorStore(engine, write_lock)
    try:
        with engine.connect() as connection:
            ready = pgvector_ready(connection)
    except SQLAlchemyError as err:
        raise StorageError(f"cannot tell whether the database has pgvector: {err}") from err
    if ready:
        return PgVectorStore(engine)
    if choice == "pgvector":
        raise ConfigError(
            f"vector_store = pgvector, but the database has no {TABLE} table: it needs "
            "PostgreSQL with the pgvector extension (CREATE EXTENSION vector), then "
            "`monitor db upgrade`"
        )
    return SqlVectorStore(engine, write_lock)


class PgVectorStore(VectorStore):
    """Vectors in ``passage_embeddings``, searched through a per-model HNSW index."""

    name = "pgvector (HNSW index per model)"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._indexed: set[tuple[str, int]] = set()  # indexes known to exist

    @contextlib.contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as err:
            first = str(getattr(err, "orig", None) or err).splitlines()[0]
            raise StorageError(f"{doing} failed: {err.__class__.__name__}: {first}") from err

    def add(self, model_key: str, passages: Passages, vector_of: Vectors) -> None:
        rows = passage_rows(model_key, passages, vector_of, "embedding", vector_literal)
        if not rows:
            return
        dims = {len(vector_of[passage]) for texts in passages.values() for passage in texts}
        if len(dims) != 1:
            raise StorageError(f"model {model_key!r}: vectors of several dimensions {sorted(dims)}")
        self._ensure_index(model_key, dims.pop())
        delete = text(
            f"DELETE FROM {TABLE} WHERE model_key = :model_key AND item_id IN :items"
        ).bindparams(bindparam("items", expanding=True))
        insert = text(
            f"INSERT INTO {TABLE} (item_id, passage_index, model_key, passage, embedding) "
            "VALUES (:item_id, :passage_index, :model_key, :passage, CAST(:embedding AS vector))"
        )
        with self._transaction("storing passage embeddings") as connection:
            connection.execute(delete, {"model_key": model_key, "items": list(passages)})
            connection.execute(insert, rows)

    def stored(self, model_key: str, item_ids: Collection[int]) -> set[int]:
        if not item_ids:
            return set()
        query = text(
            f"SELECT DISTINCT item_id FROM {TABLE} WHERE model_key = :model_key "
            "AND item_id IN :items"
        ).bindparams(bindparam("items", expanding=True))
        with self._transaction("reading passage embeddings") as connection:
            found = connection.execute(query, {"model_key": model_key, "items": list(item_ids)})
            return {int(item_id) for (item_id,) in found}

    def _ensure_index(self, model_key: str, dim: int) -> None:
        """Create the model's HNSW index before its first rows (one worker at a time)."""
        if (model_key, dim) in self._indexed:
            return
        if not 0 < dim <= HNSW_MAX_DIMENSIONS:
            raise StorageError(
                f"model {model_key!r}: pgvector indexes 1 to {HNSW_MAX_DIMENSIONS} dimensions, "
                f"not {dim} (set vector_store = numpy)"
            )
        lock = int.from_bytes(hashlib.sha256(model_key.encode()).digest()[:8], "big", signed=True)
        doing = f"indexing model {model_key!r} ({dim} dimensions; another dimension stored?)"
        with self._transaction(doing) as connection:
            # Two workers creating the same index at once: one would fail on the catalog.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
            connection.execute(text(index_ddl(model_key, dim)))
        self._indexed.add((model_key, dim))

    def _candidates(self, search: Search) -> Scored:
        """The items the index finds nearest, their passages then scored exactly, so scores and
        closest passages are those an exhaustive search gives."""
        query = _Query(search.model_key, search.claims.shape[1], search.source_ids)
        claims, min_score = search.claims, search.min_score
        with self._transaction("searching passage embeddings") as connection:
            if not self._has_index(connection, search.model_key, query.dim):
                return {}  # nothing stored by this model in this dimension
            items = _nearest_items(connection, query, claims, search.k, min_score)
            return _scored(connection, query, claims, min_score, items) if items != [] else {}

    def _has_index(self, connection: Connection, model_key: str, dim: int) -> bool:
        if (model_key, dim) not in self._indexed:
            name = index_name(model_key, dim)
            if connection.execute(text(f"SELECT to_regclass('\"{name}\"')")).scalar() is None:
                return False
            self._indexed.add((model_key, dim))
        return True


class _Query:
    """The parts of a search's SQL: the model's rows, cast to its dimension, of some sources."""

    def __init__(self, model_key: str, dim: int, source_ids: Collection[int] | None) -> None:
        self.dim = int(dim)
        self.rows = f"{TABLE} e"
        self.where = f"e.model_key = {quoted(model_key)}"  # a literal: the partial index's
        self.values: dict[str, Any] = {}
        if source_ids is not None:
            self.rows += " JOIN items i ON i.id = e.item_id"
            self.where += " AND i.source_id IN :sources"
            self.values["sources"] = sorted(source_ids)

    def statement(self, sql: str, **values: Any) -> tuple[TextClause, dict[str, Any]]:
        """``sql`` with its parameters; lists (sources, items) are expanded."""
        values = {**self.values, **values}
        lists: list[BindParameter[Any]] = [
            bindparam(name, expanding=True) for name, v in values.items() if type(v) is list
        ]
        return text(sql).bindparams(*lists), values

    def distance(self, param: str) -> str:
        """The cosine distance of a row to the claim vector ``param``, as the index has it."""
        return f"e.embedding::vector({self.dim}) <=> CAST(:{param} AS vector({self.dim}))"


def _nearest_items(
    connection: Connection,
    query: _Query,
    claims: npt.NDArray[np.float32],
    k: int,
    min_score: float,
) -> list[int] | None:
    """The ``k`` items nearest to the claim vectors through the index (best first); None where
    the index cannot vouch for its answer."""
    limit = min(max(k * CONTEXT * 4, MIN_CANDIDATES), MAX_EF_SEARCH)
    connection.execute(text("SELECT set_config('hnsw.ef_search', :ef, true)"), {"ef": str(limit)})
    sql = (
        f"SELECT e.item_id, 1 - ({query.distance('q')}) AS score FROM {query.rows} "
        f"WHERE {query.where} ORDER BY {query.distance('q')} LIMIT {limit}"
    )
    best: dict[int, float] = {}
    for claim in claims:
        rows = connection.execute(*query.statement(sql, q=vector_literal(claim))).all()
        above = [row for row in rows if row.score >= min_score]
        for row in above:
            best[row.item_id] = max(best.get(row.item_id, -2.0), row.score)
        # Fewer rows than asked: the source filter left too few. Else the candidates must
        # reach below min_score, or hold k items, for no item to be missing.
        if len(rows) < limit or not (
            rows[-1].score < min_score or len({row.item_id for row in above}) >= k
        ):
            return None
    return sorted(best, key=lambda item: (-best[item], item))[:k]


def _scored(
    connection: Connection,
    query: _Query,
    claims: npt.NDArray[np.float32],
    min_score: float,
    items: list[int] | None,
) -> Scored:
    """The passages scoring at least ``min_score`` (of ``items``, or all), scored exactly in the
    database: item id -> (score, passage) in passage order."""
    values: dict[str, Any] = {f"q{n}": vector_literal(claim) for n, claim in enumerate(claims)}
    best = ", ".join(f"1 - ({query.distance(name)})" for name in values)
    where = query.where if items is None else f"{query.where} AND e.item_id IN :items"
    if items is not None:
        values["items"] = items
    sql = (
        "SELECT item_id, passage, score FROM ("
        f"SELECT e.item_id, e.passage_index, e.passage, GREATEST({best}) AS score "
        f"FROM {query.rows} WHERE {where}) scored "
        "WHERE score >= :min_score ORDER BY item_id, passage_index"
    )
    found: Scored = {}
    for row in connection.execute(*query.statement(sql, min_score=min_score, **values)):
        found.setdefault(row.item_id, []).append((float(row.score), row.passage))
    return found


__all__ = [
    "PgVectorStore",
    "index_ddl",
    "index_name",
    "open_vector_store",
    "pgvector_ready",
    "vector_literal",
]
