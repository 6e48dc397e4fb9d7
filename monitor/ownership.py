"""Who owns a watchlist, and which copy of it is newer (pure: no files, no database).

The model (docs/web.md, "Who owns a watchlist"):

- A watchlist's file is its source of truth. The folder lives with the one process that serves
  the web UI and API (``monitor web``, or ``monitor run``); only that process writes files,
  and only for an edit made there. Workers read watchlists from the database
  (``MONITOR_WATCHLIST_SYNC=false``).
- Every version of a file the database has stored is remembered by its fingerprint. A sync
  carrying a copy the database has already replaced (an image's baked copy, a host with an
  older checkout) is refused, recorded on the watchlist and reported: the database never goes
  back to an older copy.
- A file that says ``managed_in_git: true`` is changed in git only: the UI and API show it as
  read-only and refuse edits before any form is filled. So is every file where the folder
  cannot be written.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path


def is_older_copy(current: str | None, known: Collection[str], incoming: str) -> bool:
    """Whether ``incoming`` (a file's fingerprint) is a version the database stored once and
    has replaced since: an older copy, never to be stored again."""
    return bool(incoming) and incoming != current and incoming in known


def refusal(key: str, path: Path | None, origin: str, now: datetime) -> str:
    """What a refused sync says, wherever it is shown (status, log, UI banner)."""
    where = f" ({path})" if path else ""
    by = f" from {origin}" if origin else ""
    return (
        f"{now:%Y-%m-%d %H:%M} UTC: a sync{by} carried an older copy of watchlist {key!r}{where} "
        "than the database holds; it was refused and the newer version kept. Update that "
        "copy (or set MONITOR_WATCHLIST_SYNC=false where it runs)."
    )


def read_only_reason(managed_in_git: bool, path: Path | None, writable: bool) -> str | None:
    """Why the web UI and API may not edit a watchlist, or None when they may."""
    name = path.name if path else "its file"
    if managed_in_git:
        return (
            f"This watchlist is managed in git: change {name} in its repository; the service "
            "loads the new version when the file reaches its watchlist folder."
        )
    if not writable:
        return (
            f"The watchlist folder is read-only for this server, so {name} cannot be edited "
            "here: change the file where it is kept, or mount the folder read-write for the "
            "web service only (docs/web.md)."
        )
    return None
