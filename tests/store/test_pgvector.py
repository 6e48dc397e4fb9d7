"""The archive on PostgreSQL with pgvector: HNSW search answers as the numpy store does.

Against a real server with the extension (``MONITOR_TEST_PGVECTOR``, as printed by
``scripts/pgvector-for-tests``; ``make test`` starts one); skipped without one. The first tests
run on every backend: without pgvector, the numpy store is used and pgvector cannot be forced.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from monitor.errors import ConfigError, StorageError
from monitor.store import Repository, open_store
from monitor.store import pgvector as pgvector_module
from monitor.store.database import downgrade, make_engine, modelled, upgrade
from monitor.store.pgvector import PgVectorStore, index_name
from monitor.store.tables import Base
from monitor.store.vectors import PassageMatch, SqlVectorStore
from monitor.types import FeedEntry, SourceKind, SourceSpec, Watchlist
from tests.support import web_desk
from tests.support.cli import run_cli
from tests.support.databases import PGVECTOR, database_url, pgvector_url
from tests.support.servers import LocalServer, Response

NOW = datetime(2024, 3, 1, tzinfo=UTC)
DIM = 384
TABLE = "passage_embeddings"
Vectors = dict[str, npt.NDArray[np.float32]]

needs_pgvector = pytest.mark.skipif(
    not PGVECTOR,
    reason="needs PostgreSQL with pgvector: MONITOR_TEST_PGVECTOR=$(scripts/pgvector-for-tests)",
)


def unit(values: npt.ArrayLike) -> npt.NDArray[np.float32]:
    array = np.asarray(values, dtype=np.float64)
    normed: npt.NDArray[np.float32] = (
        array / np.linalg.norm(array, axis=-1, keepdims=True)
    ).astype(np.float32)
    return normed


def test_without_pgvector_the_archive_is_numpy_and_pgvector_cannot_be_forced(
    tmp_path: Path,
) -> None:
    repository = open_store(database_url(tmp_path / "plain.sqlite3"))
    assert isinstance(repository.vectors, SqlVectorStore)
    assert "passage_embeddings" not in inspect(repository.engine).get_table_names()
    url = repository.engine.url.render_as_string(hide_password=False)
    status = run_cli(["status"], env={"MONITOR_DATABASE_URL": url})
    assert "archive     searched with numpy" in status.output, status.output
    forced = Repository(repository.engine, "pgvector")
    with pytest.raises(ConfigError, match="pgvector extension"):
        _ = forced.vectors
    with pytest.raises(ConfigError, match="'faiss' is not one of"):
        _ = Repository(repository.engine, "faiss").vectors


# --- on the pgvector server ---------------------------------------------------------------


class Archive:
    """A pgvector database with two sources, items and random passage vectors of one model;
    the same vectors in the numpy store beside it."""

    def __init__(self, tmp_path: Path, items: int = 60, passages: int = 8) -> None:
        self.repository = open_store(pgvector_url(tmp_path / "pgvector"))
        specs = tuple(SourceSpec(n, f"https://{n}.example/feed", SourceKind.FEED) for n in "ab")
        self.repository.sync_watchlists([Watchlist("w", "W", "#w", specs, ())], NOW)
        self.a, self.b = (source.id for source in self.repository.sources())
        rng = np.random.default_rng(7)
        self.passages: dict[int, list[str]] = {}
        self.vectors: Vectors = {}
        for n in range(items):
            entry = FeedEntry(str(n), f"https://x.example/{n}", f"t{n}", "x")
            [item] = self.repository.add_items(self.a if n % 2 else self.b, [entry], NOW)
            self.passages[item.id] = [f"{item.id}.{p}" for p in range(passages)]
            for passage in self.passages[item.id]:
                self.vectors[passage] = unit(rng.normal(size=DIM))
        self.numpy = SqlVectorStore(self.repository.engine)
        self.rng = rng

    @property
    def store(self) -> PgVectorStore:
        store = self.repository.vectors
        assert isinstance(store, PgVectorStore)
        return store

    def add(self, model_key: str = "m") -> None:
        self.store.add(model_key, self.passages, self.vectors)
        self.numpy.add(model_key, self.passages, self.vectors)

    def plant(self, claim: npt.NDArray[np.float32], item_id: int, index: int, noise: float) -> None:
        """Make passage ``index`` of ``item_id`` a near neighbour of ``claim``."""
        passage = self.passages[item_id][index]
        self.vectors[passage] = unit(claim + noise * self.rng.normal(size=DIM))


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    return Archive(tmp_path)


@pytest.fixture
def picks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int] | None]]:
    """What the index picked in each search (None: it could not vouch for the answer, so every
    passage was scored)."""
    picked: list[list[int] | None] = []
    nearest = pgvector_module._nearest_items

    def spy(*args: Any) -> list[int] | None:
        items = nearest(*args)
        picked.append(items)
        return items

    monkeypatch.setattr(pgvector_module, "_nearest_items", spy)
    yield picked


def same(found: list[PassageMatch], expected: list[PassageMatch]) -> None:
    """Equal results, scores to within float32 rounding."""
    assert [(m.item_id, m.passages) for m in found] == [(m.item_id, m.passages) for m in expected]
    assert [m.score for m in found] == pytest.approx([m.score for m in expected], abs=2e-4)


@needs_pgvector
def test_hnsw_search_finds_the_planted_neighbours_as_numpy_does(
    archive: Archive, picks: list[list[int] | None]
) -> None:
    claims = unit(archive.rng.normal(size=(2, DIM)))
    ids = list(archive.passages)
    planted = {ids[5]: (0, 0.02), ids[17]: (3, 0.04), ids[40]: (7, 0.06), ids[41]: (2, 0.03)}
    for item_id, (index, noise) in planted.items():
        archive.plant(claims[item_id % 2], item_id, index, noise)
    archive.plant(claims[0], ids[5], 4, 0.08)  # a second close passage in one item
    archive.add()

    found = archive.store.search("m", claims, k=10, min_score=0.5)
    assert {m.item_id for m in found} == set(planted)
    assert found[0].item_id == ids[5] and found[0].passages == (f"{ids[5]}.0", f"{ids[5]}.4")
    same(found, archive.numpy.search("m", claims, k=10, min_score=0.5))
    top = archive.store.search("m", claims, k=2, min_score=0.5)
    same(top, archive.numpy.search("m", claims, k=2, min_score=0.5))
    # Below every planted score, the unrelated passages count too: context passages included.
    loose = archive.store.search("m", claims, k=5, min_score=-1.0)
    same(loose, archive.numpy.search("m", claims, k=5, min_score=-1.0))
    assert all(len(m.passages) == 5 for m in loose)
    assert len(picks) == 3 and None not in picks  # the index answered each search


@needs_pgvector
def test_min_score_and_the_source_filter_answer_as_numpy_does(archive: Archive) -> None:
    claims = unit(archive.rng.normal(size=(1, DIM)))
    ids = list(archive.passages)
    for n, item_id in enumerate(ids[:12]):
        archive.plant(claims[0], item_id, n % 8, 0.02 + 0.01 * n)  # scores from ~0.99 down
    archive.add()
    for k, min_score, sources in [
        (20, 0.9, None),
        (20, 0.999, None),
        (3, 0.5, [archive.a]),
        (20, 0.5, [archive.b]),
        (5, -1.0, [archive.a]),
        (5, 0.5, []),
    ]:
        found = archive.store.search("m", claims, k, min_score, sources)
        same(found, archive.numpy.search("m", claims, k, min_score, sources))
        assert all(m.score >= min_score for m in found)
    assert archive.store.search("m", claims, 5, 0.999) == []
    assert archive.store.search("m", claims, 0, 0.5) == []
    assert archive.store.search("m", claims[:0], 5, 0.5) == []
    in_a = archive.store.search("m", claims, 20, 0.5, [archive.a])
    assert in_a and all(m.item_id in ids[1::2] for m in in_a)  # odd items are source a's


@needs_pgvector
def test_where_the_index_cannot_vouch_for_its_answer_every_passage_is_scored(
    tmp_path: Path, picks: list[list[int] | None]
) -> None:
    archive = Archive(tmp_path, items=20, passages=30)
    claims = unit(archive.rng.normal(size=(1, DIM)))
    ids = list(archive.passages)
    for item_id in ids[:8:2]:  # source b's: every passage near, too many for the candidates
        for index in range(30):
            archive.plant(claims[0], item_id, index, 0.05)
    for item_id in ids[1:10:2]:  # source a's: one passage each, further
        archive.plant(claims[0], item_id, 0, 0.07)
    archive.add()

    # The nearest 100 passages (k * CONTEXT * 4) belong to fewer than k items.
    crowded = archive.store.search("m", claims, k=5, min_score=0.5)
    same(crowded, archive.numpy.search("m", claims, k=5, min_score=0.5))
    assert len(crowded) == 5
    # Source a's items are beyond the index's candidates: the filter leaves none of them. (On
    # tables this small the planner would rather sort source a's rows: make it use the index.)
    engine = archive.repository.engine
    with engine.begin() as connection:
        connection.execute(text(f'ALTER DATABASE "{engine.url.database}" SET enable_sort = off'))
    engine.dispose()
    filtered = archive.store.search("m", claims, k=3, min_score=0.5, source_ids=[archive.a])
    same(filtered, archive.numpy.search("m", claims, k=3, min_score=0.5, source_ids=[archive.a]))
    assert len(filtered) == 3
    assert picks == [None, None]


@needs_pgvector
def test_an_item_added_again_replaces_its_rows(archive: Archive) -> None:
    claims = unit(archive.rng.normal(size=(1, DIM)))
    item_id = next(iter(archive.passages))
    archive.plant(claims[0], item_id, 1, 0.02)
    archive.add()
    assert [m.item_id for m in archive.store.search("m", claims, 5, 0.8)] == [item_id]
    fresh: Vectors = {"one": unit(archive.rng.normal(size=DIM)), "two": claims[0]}
    archive.store.add("m", {item_id: ["one"]}, fresh)  # judged again: the close passage went
    assert archive.store.search("m", claims, 5, 0.8) == []
    with archive.repository.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT passage FROM passage_embeddings WHERE item_id = :i"), {"i": item_id}
        )
        assert [row.passage for row in rows] == ["one"]
    archive.store.add("m", {item_id: ["one", "two"]}, fresh)
    [match] = archive.store.search("m", claims, 5, 0.8)
    assert (match.item_id, match.passages, match.score) == (item_id, ("two",), 1.0)


@needs_pgvector
def test_models_of_two_dimensions_share_the_table_each_with_its_index(archive: Archive) -> None:
    claims = unit(archive.rng.normal(size=(1, DIM)))
    small_claim = unit(archive.rng.normal(size=(1, 16)))
    one, two = list(archive.passages)[:2]
    archive.plant(claims[0], one, 0, 0.01)
    archive.add("big")
    small: Vectors = {"near": unit(small_claim[0] + 0.01), "far": unit(-small_claim[0])}
    archive.store.add("small", {one: ["far"], two: ["near", "far"]}, small)

    assert [m.item_id for m in archive.store.search("big", claims, 5, 0.8)] == [one]
    assert [m.passages for m in archive.store.search("small", small_claim, 5, 0.8)] == [("near",)]
    assert archive.store.search("small", claims, 5, 0.0) == []  # another dimension: nothing
    assert archive.store.search("unknown", claims, 5, 0.0) == []
    indexes = {i["name"] for i in inspect(archive.repository.engine).get_indexes(TABLE)}
    assert {index_name("big", DIM), index_name("small", 16)} <= indexes
    with pytest.raises(StorageError, match="another dimension"):
        archive.store.add("small", {one: ["wide"]}, {"wide": claims[0]})
    with pytest.raises(StorageError, match="several dimensions"):
        archive.store.add("mixed", {one: ["a", "b"]}, {"a": claims[0], "b": small_claim[0]})


KEY = 'it\'s a "model": 50% :q; DROP TABLE items'  # any key: quoted, a hash names its index


@needs_pgvector
def test_the_search_goes_through_the_models_hnsw_index(archive: Archive) -> None:
    archive.add(KEY)
    claims = unit(archive.rng.normal(size=(1, DIM)))
    statements: list[tuple[str, object]] = []

    def record(*args: object) -> None:
        statements.append((str(args[2]), args[3]))

    engine = archive.repository.engine
    event.listen(engine, "before_cursor_execute", record)
    archive.store.search(KEY, claims, 5, 0.5)
    event.remove(engine, "before_cursor_execute", record)
    [(sql, params)] = [(s, p) for s, p in statements if "ORDER BY e.embedding" in s]
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    name = index_name(KEY, DIM)
    assert f"Index Scan using {name}" in plan, plan
    assert "items" in inspect(engine).get_table_names()


@needs_pgvector
def test_claim_preview_and_backfill_search_the_pgvector_archive(
    tmp_path: Path, feed_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(web_desk, "database_url", pgvector_url)
    feed_server.responses["/new.xml"] = Response(
        web_desk.NEW_FEED, headers={"content-type": "application/rss+xml"}
    )
    desk = web_desk.make_desk(tmp_path, feed_server.url)
    try:
        assert isinstance(desk.repository.vectors, PgVectorStore)
        with desk.repository.engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM passage_embeddings"))
            assert (
                stored.scalar()
                and not connection.execute(text("SELECT count(*) FROM passage_vectors")).scalar()
            )
        url = desk.repository.engine.url.render_as_string(hide_password=False)
        status = run_cli(["status"], env={"MONITOR_DATABASE_URL": url})
        assert "archive     searched with pgvector" in status.output, status.output
        # The web editor's whole preview, save and backfill story, on the pgvector archive.
        web_desk.preview_save_and_backfill_a_claim(desk)
    finally:
        desk.fetcher.close()


# --- the migration -------------------------------------------------------------------------


def schema_diff(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": modelled})
        return list(compare_metadata(context, Base.metadata))


@needs_pgvector
def test_the_migration_moves_the_archive_to_pgvector_and_back(tmp_path: Path) -> None:
    engine = make_engine(pgvector_url(tmp_path / "migrated"))
    # The items are stored through today's schema (the mapping knows only the newest), then
    # the schema goes back to 0009, before the archive moved to pgvector.
    upgrade(engine)
    current = Repository(engine)
    sources = (SourceSpec("a", "https://a.example/feed", SourceKind.FEED),)
    current.sync_watchlists([Watchlist("w", "W", "#w", sources, ())], NOW)
    [source] = current.sources()
    [one, two] = current.add_items(
        source.id, [FeedEntry(k, f"https://a.example/{k}", k, "x") for k in "12"], NOW
    )
    downgrade(engine, "0009")
    before = Repository(engine)
    assert isinstance(before.vectors, SqlVectorStore)  # no table yet
    claim = unit(np.arange(1, 9))
    vectors: Vectors = {"near": unit(claim + 0.01), "far": unit(-claim), "mid": unit(claim + 0.5)}
    before.vectors.add("m", {one.id: ["far", "near"], two.id: ["mid"]}, vectors)
    expected = before.vectors.search("m", claim[None], 5, 0.5)
    assert [m.item_id for m in expected] == [one.id, two.id]

    upgrade(engine)
    after = Repository(engine)
    assert isinstance(after.vectors, PgVectorStore)
    same(after.vectors.search("m", claim[None], 5, 0.5), expected)
    assert schema_diff(engine) == []
    with engine.connect() as connection:
        assert not connection.execute(text("SELECT count(*) FROM passage_vectors")).scalar()
    after.vectors.add("m", {two.id: ["near"]}, vectors)  # stored after the upgrade

    downgrade(engine, "0009")
    assert TABLE not in inspect(engine).get_table_names()
    back = Repository(engine)
    assert isinstance(back.vectors, SqlVectorStore)
    found = back.vectors.search("m", claim[None], 5, 0.5)
    assert [(m.item_id, m.passages) for m in found] == [(one.id, ("near",)), (two.id, ("near",))]
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert TABLE in inspect(engine).get_table_names()
    assert isinstance(Repository(engine, "pgvector").vectors, PgVectorStore)
    assert isinstance(Repository(engine, "numpy").vectors, SqlVectorStore)


@needs_pgvector
def test_a_user_who_may_not_create_the_extension_keeps_the_numpy_archive(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_url(pgvector_url(tmp_path / "unprivileged"))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(
            text(
                "DO $$ BEGIN CREATE ROLE monitor_plain LOGIN; "
                "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
            )
        )
        connection.execute(text(f'ALTER DATABASE "{url.database}" OWNER TO monitor_plain'))
    admin.dispose()
    engine = make_engine(url.set(username="monitor_plain").render_as_string(False))
    try:
        with caplog.at_level(logging.WARNING):
            upgrade(engine)
        assert "may not create it" in caplog.text
        assert TABLE not in inspect(engine).get_table_names()
        assert isinstance(Repository(engine).vectors, SqlVectorStore)
        with pytest.raises(ConfigError, match="no passage_embeddings table"):
            _ = Repository(engine, "pgvector").vectors
    finally:
        engine.dispose()
