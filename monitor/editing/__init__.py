"""Edits from the web UI and API (:mod:`.editor`), written into the watchlist files line by line
(:mod:`.files`)."""

from __future__ import annotations

from monitor.editing.editor import (
    WATCHLIST_KEY,
    Editor,
    PreviewMatch,
    SavedClaim,
    TestFetch,
    WatchlistSettings,
    export_watchlists,
    writable,
)
from monitor.editing.files import WatchlistFile, write_atomically

__all__ = [
    "WATCHLIST_KEY",
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
