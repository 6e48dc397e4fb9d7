"""Watchlists as editors write them: YAML files, validated with every problem located.

``schema.py`` is the one schema (pydantic) of a watchlist and its claims, sources, digest and
alert rules, with the text types the API and the web forms validate with too; ``load.py``
reads files into :class:`~monitor.types.Watchlist` and locates each problem; ``dump.py``
writes them back.
"""

from __future__ import annotations

from monitor.watchlists.dump import dump_claim, dump_source, dump_watchlist
from monitor.watchlists.load import LoadReport, load_directory, load_file, parse_watchlist
from monitor.watchlists.schema import (
    MAX_FILE_BYTES,
    MIN_POLL_INTERVAL,
    Channel,
    ClaimFields,
    ClaimId,
    ClaimSchema,
    ClaimText,
    ClockTime,
    Line,
    LongText,
    Name,
    PerChannelPerHour,
    PerClaimPerHour,
    QuietHoursSchema,
    Recipients,
    SourceName,
    SourceSchema,
    SourceUrl,
    TimeZone,
    WatchlistSettingsSchema,
    format_duration,
    parse_duration,
    read_duration,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MIN_POLL_INTERVAL",
    "Channel",
    "ClaimFields",
    "ClaimId",
    "ClaimSchema",
    "ClaimText",
    "ClockTime",
    "Line",
    "LoadReport",
    "LongText",
    "Name",
    "PerChannelPerHour",
    "PerClaimPerHour",
    "QuietHoursSchema",
    "Recipients",
    "SourceName",
    "SourceSchema",
    "SourceUrl",
    "TimeZone",
    "WatchlistSettingsSchema",
    "dump_claim",
    "dump_source",
    "dump_watchlist",
    "format_duration",
    "load_directory",
    "load_file",
    "parse_duration",
    "parse_watchlist",
    "read_duration",
]
