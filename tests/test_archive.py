"""`monitor archive rebuild`: items without vectors of the model in use get them, once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.archive import rebuild
from monitor.store import Repository, open_store
from monitor.types import FeedEntry, SourceSpec, Watchlist
from tests.support.cli import run_cli
from tests.support.databases import PGVECTOR, database_url, pgvector_url
from tests.support.embedders import HashingEmbedder

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
STORIES = {
    "shells": "North Korean artillery shells reached Russian units near the front line.",
    "drones": "Iranian Shahed drones were launched against power stations overnight.",
    "jets": "Tehran is said to be buying Russian fighter jets and attack helicopters.",
}


class OtherModel(HashingEmbedder):
    model_key = "another-model"


def archive_with_items(url: str) -> tuple[Repository, list[int]]:
    repository = open_store(url)
    source = SourceSpec("Wire", "https://wire.example/feed")
    repository.sync_watchlists([Watchlist("desk", "Desk", "#desk", (source,), ())], NOW)
    [stored] = repository.sources()
    entries = [
        FeedEntry(key, f"https://wire.example/{key}", key.title(), text)
        for key, text in STORIES.items()
    ]
    items = repository.add_items(stored.id, entries, NOW)
    return repository, [item.id for item in items]


@pytest.mark.parametrize(
    "store",
    [
        "database",
        pytest.param(
            "pgvector",
            marks=pytest.mark.skipif(not PGVECTOR, reason="needs MONITOR_TEST_PGVECTOR"),
        ),
    ],
)
def test_rebuild_embeds_what_the_archive_lacks_for_the_model_in_use(
    tmp_path: Path, store: str
) -> None:
    url = (pgvector_url if store == "pgvector" else database_url)(tmp_path / "m.sqlite3")
    repository, ids = archive_with_items(url)
    embedder = HashingEmbedder()
    steps: list[int] = []
    report = rebuild(repository, embedder, batch=2, progress=steps.append)
    assert (report.items, report.embedded) == (3, 3)
    assert report.passages >= 3 and steps == [2, 1]
    # The archive now answers claim previews for those items.
    claim = embedder.encode(["Russia buys shells from North Korea: artillery shells"])
    [best, *_] = repository.vectors.search(embedder.model_key, claim, k=3, min_score=0.1)
    assert best.item_id == ids[0] and "artillery shells" in " ".join(best.passages)
    # Run again: nothing left to embed for this model; another model gets its own vectors.
    assert rebuild(repository, HashingEmbedder()).embedded == 0
    assert rebuild(repository, OtherModel()).embedded == 3
    assert repository.vectors.stored("another-model", ids) == set(ids)


def test_archive_rebuild_command_shows_what_it_did(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = database_url(tmp_path / "m.sqlite3")
    archive_with_items(url)
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    monkeypatch.setattr("monitor.cli.admin.embedder_for", lambda current: HashingEmbedder())
    result = run_cli(["archive", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 items read, 3 embedded" in result.output
    again = run_cli(["archive", "rebuild"])
    assert "3 items read, 0 embedded" in again.output
