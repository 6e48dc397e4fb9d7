"""The one schema of a watchlist (pydantic): what its file may say, and the text types that
validate names and texts alike for files, the API and the web forms.

Durations (``90s``, ``15m``, ``1h``), times of day, thresholds, channels, e-mail addresses and
time zones are checked here; where each problem is in the file is found by :mod:`.load`.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import time, timedelta
from typing import Annotated, Any

from cssselect import HTMLTranslator, SelectorError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from monitor.types import ClaimSpec, SourceKind, SourceSpec, Stance, Verdict

MAX_FILE_BYTES = 1024 * 1024


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")


UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


MIN_POLL_INTERVAL = timedelta(seconds=10)


def read_duration(value: Any) -> timedelta:
    """Read ``90``, ``"90s"``, ``"15m"``, ``"1h"`` or ``"1d"`` as a duration (any length)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a duration such as 90s, 15m, 1h or 1d")
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use e.g. 90s, 15m, 1h or 1d)")
    return timedelta(seconds=float(match.group(1)) * UNITS[match.group(2) or "s"])


def parse_duration(value: Any) -> timedelta:
    """A poll interval: :func:`read_duration`, at least :data:`MIN_POLL_INTERVAL`."""
    duration = read_duration(value)
    if duration < MIN_POLL_INTERVAL:
        raise ValueError(f"{value!r} is too short: poll at most every {MIN_POLL_INTERVAL.seconds}s")
    return duration


def format_duration(duration: timedelta) -> str:
    """``15m``, ``1h``, ``90s``: the shortest unit that says ``duration`` exactly."""
    seconds = int(duration.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"


def _parse_clock(value: Any) -> time:
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 07:00 as 420
        return time(value // 60 % 24, value % 60)
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:  # the watchlist's time zone says where the clock is
                return parsed
    raise ValueError(f"{value!r} is not a time of day (use HH:MM)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


# HH:MM in the watchlist's time zone (YAML 1.1 reads an unquoted 07:00 as 420: taken too).
ClockTime = Annotated[
    time,
    BeforeValidator(_parse_clock),
    WithJsonSchema(
        {"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "examples": ["07:00"]}
    ),
]


Threshold = Annotated[float, Field(ge=0.0, le=1.0)]


NonEmpty = Annotated[str, Field(min_length=1)]


# Line breaks Unicode knows besides CR and LF (a header or a log line must stay one line).
_LINE_BREAKS = frozenset("\x85\u2028\u2029")


def printable(value: str) -> str:
    """Text that can go into a YAML file, a database and a message: no control characters
    (line breaks and tabs allowed)."""
    if any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 for c in value):
        raise ValueError("control characters are not allowed")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError("not valid Unicode text") from err
    return value


def single_line(value: str) -> str:
    """A name or a line: printable, and no line break of any kind."""
    if "\n" in value or "\r" in value or _LINE_BREAKS & set(value):
        raise ValueError("must be a single line (no line breaks)")
    return printable(value)


# The one validation of names and texts, for watchlist files, the API and the web forms.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(single_line)]


Line = Annotated[str, Field(max_length=500), AfterValidator(single_line)]


ClaimText = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(printable)]


LongText = Annotated[str, Field(max_length=10_000), AfterValidator(printable)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _css_selector(value: Any) -> Any:
    if isinstance(value, str):
        try:
            HTMLTranslator().css_to_xpath(value)
        except SelectorError as err:
            raise ValueError(f"{value!r} is not a CSS selector: {err}") from err
    return value


SourceName = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(single_line)]


SourceUrl = Annotated[HttpUrl, Field(max_length=2048)]


class SourceSchema(_Strict):
    """A source in a watchlist file or the source form."""

    name: SourceName
    url: SourceUrl
    kind: SourceKind = SourceKind.FEED
    poll_interval: Duration | None = None
    # Bounds of the adaptive interval (default: a quarter of / four times poll_interval).
    min_poll_interval: Duration | None = None
    max_poll_interval: Duration | None = None
    # kind page: the CSS selector of the article links on the listing page (else found for us).
    selector: Annotated[Line, Field(min_length=1), BeforeValidator(_css_selector)] | None = None
    # kind feed: replace each new item's summary with the article's full text.
    full_text: bool = False

    @model_validator(mode="after")
    def _options_fit_kind(self) -> SourceSchema:
        if self.selector is not None and self.kind is not SourceKind.PAGE:
            raise ValueError("selector applies to sources of kind: page only")
        if self.full_text and self.kind is not SourceKind.FEED:
            raise ValueError("full_text applies to sources of kind: feed (pages are read in full)")
        _check_bounds(self.min_poll_interval, self.poll_interval, self.max_poll_interval)
        return self

    def spec(self, defaults: DefaultsSchema | None = None) -> SourceSpec:
        """The source as the rest of monitor speaks of it: intervals it leaves out are its
        file's ``defaults``."""
        given = defaults or DefaultsSchema()
        return SourceSpec(
            name=self.name,
            url=str(self.url),
            kind=self.kind,
            poll_interval=self.poll_interval or given.poll_interval,
            selector=self.selector,
            full_text=self.full_text,
            min_poll_interval=self.min_poll_interval or given.min_poll_interval,
            max_poll_interval=self.max_poll_interval or given.max_poll_interval,
        )


def _check_bounds(
    low: timedelta | None, interval: timedelta | None, high: timedelta | None
) -> None:
    """``min_poll_interval`` <= ``poll_interval`` <= ``max_poll_interval``, where given."""
    given = [(n, v) for n, v in (("min_poll_interval", low), ("poll_interval", interval),
                                 ("max_poll_interval", high)) if v is not None]  # fmt: skip
    for (first, a), (second, b) in itertools.pairwise(given):
        if a > b:
            raise ValueError(
                f"{first} ({format_duration(a)}) is longer than {second} ({format_duration(b)})"
            )


_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def _claim_id(value: str) -> str:
    if not _CLAIM_ID.match(value):
        # Said in words, not as the pattern: an editor reads it in a form, a file or the API.
        raise PydanticCustomError(
            "claim_id", "lower-case letters, digits and hyphens, starting with a letter or digit"
        )
    return value


# A claim's ``id:`` in its file: the API's path names a claim with it too.
ClaimId = Annotated[
    str,
    Field(max_length=100, json_schema_extra={"pattern": _CLAIM_ID.pattern}),
    AfterValidator(_claim_id),
]


class ClaimFields(_Strict):
    """What an editor writes about a claim, in a file, through the API or in a form: the one
    validation of a claim (the API names the claim in its path, a form or a file in ``id``)."""

    text: ClaimText
    paraphrases: Annotated[list[ClaimText], Field(max_length=50)] = []
    threshold: Threshold | None = None
    verdict: Verdict = Verdict.UNVERIFIED
    notes: LongText = ""

    def spec(self, claim_id: str) -> ClaimSpec:
        """The claim as the rest of monitor speaks of it."""
        return ClaimSpec(
            key=claim_id,
            text=self.text,
            paraphrases=tuple(self.paraphrases),
            threshold=self.threshold,
            verdict=self.verdict,
            notes=self.notes,
        )


class ClaimSchema(ClaimFields):
    """A claim in a watchlist file or the claim form: with its id."""

    id: ClaimId


# One address, nothing that could smuggle a second one into a header.
_EMAIL = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+$")


def _email_address(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an email address (write just name@example.org)")
    return value


def _known_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from err
    return value


TimeZone = Annotated[str, Field(examples=["Europe/Berlin"]), AfterValidator(_known_zone)]


Recipients = Annotated[
    list[Annotated[str, Field(max_length=320), AfterValidator(_email_address)]],
    Field(max_length=100),
]


# How many alerts of one claim (of one channel) go out in an hour before a summary takes them.
PerClaimPerHour = Annotated[int, Field(ge=1, le=1000)]


PerChannelPerHour = Annotated[int, Field(ge=1, le=3600)]


class DigestSchema(_Strict):
    recipients: Recipients = []
    send_at: ClockTime = time(7, 0)
    # Default: the watchlist's time zone.
    timezone: TimeZone | None = None
    stale_after_days: Annotated[int, Field(ge=1, le=365)] = 7


Channel = Annotated[str, Field(pattern=r"^[#@]?[\w.-]{1,80}$")]


class QuietHoursSchema(_Strict):
    start: ClockTime
    end: ClockTime


class AlertsSchema(_Strict):
    # Extra channels per stance, e.g. contradictions also to the standards desk.
    routes: dict[Stance, list[Channel]] = {}
    quiet_hours: QuietHoursSchema | None = None
    per_claim_per_hour: PerClaimPerHour = 6
    per_channel_per_hour: PerChannelPerHour = 30


class DefaultsSchema(_Strict):
    poll_interval: Duration = timedelta(minutes=15)
    min_poll_interval: Duration | None = None
    max_poll_interval: Duration | None = None
    threshold: Threshold | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> DefaultsSchema:
        _check_bounds(self.min_poll_interval, self.poll_interval, self.max_poll_interval)
        return self


class WatchlistSchema(_Strict):
    name: Name
    description: LongText = ""
    slack_channel: Channel
    timezone: TimeZone = "UTC"
    digest: DigestSchema = DigestSchema()
    alerts: AlertsSchema = AlertsSchema()
    defaults: DefaultsSchema = DefaultsSchema()
    sources: Annotated[list[SourceSchema], Field(min_length=1, max_length=1000)]
    claims: Annotated[list[ClaimSchema], Field(min_length=1, max_length=2000)]
    # Changed only in git: the web UI and API show it read-only (docs/web.md).
    managed_in_git: bool = False


class WatchlistSettingsSchema(_Strict):
    """What an editor sets on a watchlist itself, through the settings form or the API, flat:
    each field validated by the same type as its place in the file (``digest.recipients``,
    ``alerts.quiet_hours``...), so a bad value gets the same message everywhere."""

    name: Name
    slack_channel: Channel
    description: LongText = ""
    timezone: TimeZone = "UTC"
    digest_recipients: Recipients = []
    digest_send_at: ClockTime = time(7, 0)
    quiet_hours: QuietHoursSchema | None = None
    per_claim_per_hour: PerClaimPerHour = 6
    per_channel_per_hour: PerChannelPerHour = 30
