"""Host lanes for :meth:`~monitor.pipeline.polling.PollingMixin.poll_many`: each host's
sources split into lanes (the fetcher's per-host limit), balanced by how long each source's
last poll took; and the bound on fetched bodies waiting to be settled."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.types import (
    Source,
)

# poll_many: threads that parse and store what the host lanes fetched (mostly waiting on the
# parser process and the database, so several), and how many bytes of fetched bodies may wait
# for them (a bound on memory: lanes pause when it is reached).
SETTLERS = 8
BACKLOG_BYTES = 32 << 20


class Backlog:
    """Bytes fetched and waiting to be parsed and stored; takers wait while it is full."""

    MIN_SIZE = 1024  # what an empty body or an error counts for

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.waiting = 0
        self._changed = threading.Condition()

    def take(self, size: int) -> int:
        """Wait for room for ``size`` bytes (one body always fits); the size to release."""
        size = max(size, self.MIN_SIZE)
        with self._changed:
            self._changed.wait_for(lambda: not self.waiting or self.waiting + size <= self.limit)
            self.waiting += size
        return size

    def release(self, size: int) -> None:
        with self._changed:
            self.waiting -= size
            self._changed.notify_all()


def host_lanes(sources: Sequence[Source], per_host: int) -> list[list[Source]]:
    """Split sources into lanes polled one after another, at most ``per_host`` lanes a host.

    Running lanes in parallel then never puts more than ``per_host`` requests on one host, and
    no worker sits waiting for a host's turn while other hosts' sources are due.
    """
    by_host: dict[str, list[Source]] = {}
    for source in sources:
        by_host.setdefault(urlsplit(source.url).netloc.lower(), []).append(source)
    lanes: list[tuple[float, list[Source]]] = []
    for group in by_host.values():
        # Longest-first greedy: each source, slowest last time first, joins the host's lane
        # with the least expected time, so two slow sources do not queue behind each other.
        host: list[tuple[float, list[Source]]] = [
            (0.0, []) for _ in range(min(per_host, len(group)))
        ]
        for source in sorted(group, key=lambda s: -expected_seconds(s)):
            index = min(range(len(host)), key=lambda i: host[i][0])
            total, lane = host[index]
            host[index] = (total + expected_seconds(source), [*lane, source])
        lanes.extend(host)
    # The longest lanes start first, instead of holding the cycle open at its end.
    lanes.sort(key=lambda entry: -entry[0])
    return [lane for _, lane in lanes]


def expected_seconds(source: Source) -> float:
    """How long polling ``source`` should take: its last poll's time (1 s if unknown)."""
    return source.last_duration if source.last_duration is not None else 1.0
