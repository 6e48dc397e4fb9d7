"""The exception tree of monitor.

::

    MonitorError
    ├── ConfigError            settings that cannot be used
    ├── WatchlistError         a watchlist file that cannot be loaded (lists every problem)
    │   ├── ReadOnlyWatchlist  an edit of a watchlist the web may not change (managed in git)
    │   └── EditConflict       an edit that raced a hand edit of the same file
    ├── FetchError             a source could not be retrieved (network, HTTP, limits)
    │   ├── UnsafeURLError     the URL is refused (scheme, private address)
    │   └── ThrottledError     the server asked us to come back later (HTTP 429/503)
    ├── ParseError             retrieved bytes are not a usable feed or page
    ├── StorageError           the database refused or is out of date
    │   └── NotFoundError      no row with the id (or name) asked for
    ├── ModelError             an embedding or stance model cannot be loaded or run
    └── NotifyError            an alert or digest could not be delivered
        ├── PermanentNotifyError   retrying will not help (a message Slack refuses)
        ├── PausedNotifyError      the token or the channel needs fixing; alerts wait
        └── ThrottledNotifyError   Slack asked us to slow down (429)

I/O errors are chained with ``raise ... from err`` so the cause stays visible in logs.
"""

from __future__ import annotations

from dataclasses import dataclass


class MonitorError(Exception):
    """Root of every error monitor raises on purpose."""


class ConfigError(MonitorError):
    """Settings that cannot be used."""


@dataclass(frozen=True)
class Problem:
    """One problem in a watchlist file, with where it is."""

    path: str
    line: int | None
    column: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = self.path
        if self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        field = f" {self.where}:" if self.where else ""
        return f"{place}:{field} {self.message}"


class WatchlistError(MonitorError):
    """A watchlist file that cannot be loaded; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ReadOnlyWatchlist(WatchlistError):
    """An edit of a watchlist that the web UI and API may not change (managed in git, or a
    read-only folder); refused before anything is done."""


class EditConflict(WatchlistError):
    """An edit that raced a hand edit of the same file: not saved, so neither is lost."""


class FetchError(MonitorError):
    """A source could not be retrieved."""


class UnsafeURLError(FetchError):
    """The URL points somewhere monitor refuses to fetch."""


class ThrottledError(FetchError):
    """The server asked us to slow down (HTTP 429 or 503).

    ``retry_after`` is its ``Retry-After`` header as sent (seconds or an HTTP date), if any.
    """

    def __init__(self, message: str, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ParseError(MonitorError):
    """Retrieved bytes are not a usable feed or page."""


class StorageError(MonitorError):
    """The database refused an operation or its schema is out of date."""


class NotFoundError(StorageError):
    """No row with the id (or name) asked for: what a web front end answers with 404."""


class ModelError(MonitorError):
    """A model cannot be loaded or run."""


class NotifyError(MonitorError):
    """An alert or digest could not be delivered (may succeed on retry)."""


class PermanentNotifyError(NotifyError):
    """Delivery failed in a way retrying will not fix (Slack refuses the message itself)."""


class PausedNotifyError(NotifyError):
    """Nothing can go to ``channel`` (None: to any channel) until someone fixes what ``fix``
    says (a revoked token, a bot not invited); the alerts wait rather than fail."""

    def __init__(self, message: str, channel: str | None, fix: str, code: str = "") -> None:
        super().__init__(message)
        self.channel = channel
        self.fix = fix
        self.code = code


class ThrottledNotifyError(NotifyError):
    """Slack asked us to slow down (HTTP 429); ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
