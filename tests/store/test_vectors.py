"""The archive of passage vectors: stored per model, searched with numpy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from monitor.store import open_store
from monitor.types import FeedEntry, SourceKind, SourceSpec, Watchlist
from tests.support.databases import database_url

NOW = datetime(2024, 3, 1, tzinfo=UTC)


def unit(*values: float) -> np.ndarray:
    vector = np.asarray(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_search_finds_the_closest_items_of_one_model_and_its_sources(tmp_path: Path) -> None:
    repository = open_store(database_url(tmp_path / "v.sqlite3"))
    sources = tuple(SourceSpec(n, f"https://{n}.example/feed", SourceKind.FEED) for n in "ab")
    repository.sync_watchlists([Watchlist("w", "W", "#w", sources, ())], NOW)
    a, b = repository.sources()
    [one] = repository.add_items(a.id, [FeedEntry("1", "https://a.example/1", "t", "x")], NOW)
    [two] = repository.add_items(b.id, [FeedEntry("2", "https://b.example/2", "t", "y")], NOW)
    vectors = {"near": unit(1, 0.1, 0), "far": unit(0, 0, 1), "mid": unit(1, 1, 0)}
    store = repository.vectors
    store.add("m1", {one.id: ["far", "near"], two.id: ["mid"]}, vectors)
    store.add("m2", {one.id: ["far"]}, vectors)
    claim = np.stack([unit(1, 0, 0)])

    found = store.search("m1", claim, k=5, min_score=0.5)
    assert [(m.item_id, m.passage) for m in found] == [(one.id, "near"), (two.id, "mid")]
    assert found[0].score > found[1].score
    assert [m.item_id for m in store.search("m1", claim, k=1, min_score=0.5)] == [one.id]
    assert store.search("m1", claim, k=5, min_score=0.999) == []
    assert [m.item_id for m in store.search("m1", claim, 5, 0.5, source_ids=[b.id])] == [two.id]
    assert store.search("m2", claim, k=5, min_score=0.5) == []  # another model's vectors
    store.add("m1", {one.id: ["far"]}, vectors)  # an item judged again replaces its rows
    assert [m.item_id for m in store.search("m1", claim, k=5, min_score=0.5)] == [two.id]
