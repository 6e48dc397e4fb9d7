"""Rebuilding the archive of passage embeddings for the embedding model in use.

Claim previews and backfills search the archive for vectors made by the configured model
(:mod:`monitor.store.vectors`). Items judged before the archive existed, or only by another
model (a changed ``MONITOR_EMBEDDING_MODEL`` or backend), have none: previews would not find
them. :func:`rebuild` embeds those items, a batch at a time; items that already have vectors
of the model are skipped, so an interrupted rebuild picks up where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from monitor.judge.embed import Embedder
from monitor.judge.passages import passages
from monitor.store import Repository

BATCH = 128  # items read and embedded per step


@dataclass(frozen=True)
class RebuildReport:
    """What a rebuild did: items read, items embedded, passages embedded."""

    items: int
    embedded: int
    passages: int


def rebuild(
    repository: Repository,
    embedder: Embedder,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] = lambda done: None,
) -> RebuildReport:
    """Embed every stored item without vectors of ``embedder``'s model; ``progress`` is told
    how many items each step read."""
    after, read, embedded, embedded_passages = 0, 0, 0, 0
    while items := repository.items_after(after, batch):
        after, read = items[-1].id, read + len(items)
        have = repository.vectors.stored(embedder.model_key, [item.id for item in items])
        todo = {
            item.id: group for item in items if item.id not in have if (group := passages(item))
        }
        if todo:
            distinct = list(dict.fromkeys(p for group in todo.values() for p in group))
            vector_of = dict(zip(distinct, embedder.encode(distinct), strict=True))
            repository.vectors.add(embedder.model_key, todo, vector_of)
            embedded += len(todo)
            embedded_passages += sum(len(group) for group in todo.values())
        progress(len(items))
    return RebuildReport(read, embedded, embedded_passages)
