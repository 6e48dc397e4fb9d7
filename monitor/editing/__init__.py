"""Edits from the web UI and API (:mod:`.editor`), written into the watchlist files line by line
(:mod:`.files`); claim previews and backfills from the archive (:mod:`.archive`); the settings
an editor sets on a watchlist (:mod:`.settings`)."""

from __future__ import annotations

from monitor.editing.archive import ClaimArchive, PreviewMatch
from monitor.editing.editor import (
    WATCHLIST_KEY,
    Editor,
    SavedClaim,
    TestFetch,
    export_watchlists,
    writable,
)
from monitor.editing.files import WatchlistFile, write_atomically
from monitor.editing.settings import WatchlistSettings

__all__ = [
    "WATCHLIST_KEY",
    "ClaimArchive",
    "Editor",
    "PreviewMatch",
    "SavedClaim",
    "TestFetch",
    "WatchlistFile",
    "WatchlistSettings",
    "export_watchlists",
    "writable",
    "write_atomically",
]
