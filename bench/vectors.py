"""Archive search benchmark: the numpy scan against pgvector's HNSW index, on one server.

    python -m bench vectors [--passages 100000] [--dim 384] [--queries 10] [--url URL]

Fills a fresh database on the pgvector test server (``scripts/pgvector-for-tests``, or
``--url``) with random unit vectors, 20 passages an item: the numpy store through its ``add``;
pgvector as migration 0010 fills it (rows first, then the HNSW index built in one go, with
``maintenance_work_mem`` at 1 GB). Then 1,000 more passages go through each store's ``add``, as
the judge stores them (pgvector maintains its index row by row), and claim searches are timed
as a claim preview makes them (k = 20, min_score 0.6, one claim vector). Each query is a stored
passage plus noise, so it has a near neighbour to find; recall is the share of queries where
pgvector returned the same items as the exhaustive scan. Random vectors are the hard case for
an approximate index: real embeddings cluster. Prints JSON; figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from monitor.store import Repository, open_store
from monitor.store.pgvector import PgVectorStore, index_ddl, vector_literal
from monitor.store.vectors import PassageMatch, SqlVectorStore, VectorStore
from monitor.types import FeedEntry, SourceKind, SourceSpec, Watchlist

NOW = datetime(2024, 3, 1, tzinfo=UTC)
PER_ITEM = 20  # passages an item
BATCH = 50  # items a call to add, as the judge stores a cycle's items
DATABASE = "bench_vectors"
MODEL = "bench-random"
INCREMENT = 1000  # passages stored through add after the bulk load


def server_url(given: str | None) -> str:
    """A fresh database on the pgvector server (started by the test script when not given)."""
    if given is None:
        script = Path(__file__).resolve().parent.parent / "scripts/pgvector-for-tests"
        given = subprocess.run([script], capture_output=True, text=True, check=True).stdout.strip()
    engine = create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    engine.dispose()
    return make_url(given).set(database=DATABASE).render_as_string(hide_password=False)


def unit(array: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    normed: npt.NDArray[np.float32] = (
        array / np.linalg.norm(array, axis=-1, keepdims=True)
    ).astype(np.float32)
    return normed


def make_items(repository: Repository, count: int) -> list[int]:
    specs = (SourceSpec("bench", "https://bench.example/feed", SourceKind.FEED),)
    repository.sync_watchlists([Watchlist("bench", "Bench", "#bench", specs, ())], NOW)
    [source] = repository.sources()
    ids: list[int] = []
    for start in range(0, count, 1000):
        entries = [
            FeedEntry(str(n), f"https://bench.example/{n}", f"item {n}", f"text {n}", NOW)
            for n in range(start, min(start + 1000, count))
        ]
        ids += [item.id for item in repository.add_items(source.id, entries, NOW)]
    return ids


def batches(
    items: list[int], vectors: npt.NDArray[np.float32]
) -> Iterator[tuple[dict[int, list[str]], dict[str, npt.NDArray[np.float32]]]]:
    """(item id -> passages, passage -> vector), BATCH items at a time."""
    for first in range(0, len(items), BATCH):
        batch = items[first : first + BATCH]
        passages = {item: [f"{item}.{p}" for p in range(PER_ITEM)] for item in batch}
        offset = first * PER_ITEM
        vector_of = {
            f"{item}.{p}": vectors[offset + n * PER_ITEM + p]
            for n, item in enumerate(batch)
            for p in range(PER_ITEM)
        }
        yield passages, vector_of


def fill(store: VectorStore, items: list[int], vectors: npt.NDArray[np.float32]) -> float:
    """Add every item's passages as the judge does; returns passages stored per second."""
    start = time.perf_counter()
    for passages, vector_of in batches(items, vectors):
        store.add(MODEL, passages, vector_of)
    return len(items) * PER_ITEM / (time.perf_counter() - start)


def bulk_fill(engine: Engine, items: list[int], vectors: npt.NDArray[np.float32]) -> float:
    """Rows first, then the index in one build, as migration 0010 moves an archive; returns
    the seconds the index build took."""
    insert = text(
        "INSERT INTO passage_embeddings (item_id, passage_index, model_key, passage, embedding)"
        " VALUES (:item, :index, :model, :passage, CAST(:embedding AS vector))"
    )
    for passages, vector_of in batches(items, vectors):
        rows = [
            {"item": item, "index": n, "model": MODEL, "passage": passage, "embedding": literal}
            for item, texts in passages.items()
            for n, passage in enumerate(texts)
            for literal in [vector_literal(vector_of[passage])]
        ]
        with engine.begin() as connection:
            connection.execute(insert, rows)
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        start = time.perf_counter()
        connection.execute(text(index_ddl(MODEL, vectors.shape[1])))
        return time.perf_counter() - start


def timed_searches(
    search: Callable[[npt.NDArray[np.float32]], list[PassageMatch]],
    queries: npt.NDArray[np.float32],
) -> tuple[list[float], list[list[PassageMatch]]]:
    seconds, answers = [], []
    for query in queries:
        start = time.perf_counter()
        answers.append(search(query[None]))
        seconds.append(time.perf_counter() - start)
    return seconds, answers


def preview_search(store: VectorStore) -> Callable[[npt.NDArray[np.float32]], list[PassageMatch]]:
    """A search as a claim preview makes it."""
    return lambda claims: store.search(MODEL, claims, k=20, min_score=0.6)


def ms(values: list[float]) -> float:
    return round(1000 * statistics.median(values), 1)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench vectors")
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--url", help="PostgreSQL server with pgvector (default: the test one)")
    args = parser.parse_args(argv)
    repository = open_store(server_url(args.url))
    pgvector = repository.vectors
    assert isinstance(pgvector, PgVectorStore), "the database has no pgvector"
    numpy_store = SqlVectorStore(repository.engine)
    rng = np.random.default_rng(1)
    items = make_items(repository, args.passages // PER_ITEM + INCREMENT // PER_ITEM)
    vectors = unit(rng.normal(size=(len(items) * PER_ITEM, args.dim)))
    bulk, more = len(items) - INCREMENT // PER_ITEM, INCREMENT
    build_s = bulk_fill(repository.engine, items[:bulk], vectors[: bulk * PER_ITEM])
    fill(numpy_store, items[:bulk], vectors[: bulk * PER_ITEM])
    rates = {
        name: fill(store, items[bulk:], vectors[bulk * PER_ITEM :])
        for name, store in (("numpy", numpy_store), ("pgvector", pgvector))
    }
    picked = rng.choice(len(vectors), size=args.queries, replace=False)
    queries = unit(vectors[picked] + 0.03 * rng.normal(size=(args.queries, args.dim)))
    with repository.engine.begin() as connection:
        connection.execute(text("ANALYZE"))  # plans as on a database that has run a while
    timings, answers = {}, {}
    stores: dict[str, VectorStore] = {"numpy": numpy_store, "pgvector": pgvector}
    for name, store in stores.items():
        timings[name], answers[name] = timed_searches(preview_search(store), queries)
    same = sum(
        [m.item_id for m in a] == [m.item_id for m in b]
        for a, b in zip(answers["numpy"], answers["pgvector"], strict=True)
    )
    found = sum(bool(a) for a in answers["pgvector"])
    with repository.engine.connect() as connection:
        sizes = {
            name: connection.execute(text(f"SELECT pg_total_relation_size('{name}')")).scalar()
            for name in ("passage_vectors", "passage_embeddings")
        }
    report = {
        "passages": len(vectors),
        "dim": args.dim,
        "queries": args.queries,
        "hnsw_build_s": round(build_s, 1),
        "add_passages_per_s": {name: round(rate) for name, rate in rates.items()},
        "added_passages": more,
        "search_ms_median": {name: ms(values) for name, values in timings.items()},
        "search_ms_max": {name: round(1000 * max(v), 1) for name, v in timings.items()},
        "recall_same_items": f"{same}/{args.queries}",
        "queries_with_a_match": f"{found}/{args.queries}",
        "table_mib": {name: round((size or 0) / 2**20) for name, size in sizes.items()},
    }
    repository.engine.dispose()
    print(json.dumps(report, indent=2))
