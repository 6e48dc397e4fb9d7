"""Watchlists as editors write them: YAML files, validated with every problem located.

A watchlist file is parsed to a YAML node tree first, so every problem found later (a missing
field, a bad URL, a duplicate claim id) is reported with its file, line and column. A broken file
never stops the others from loading: :func:`load_directory` returns what loaded and what did not.

Files are untrusted input too: anchors and aliases are refused (nested aliases expand
exponentially, "billion laughs"), as are files over :data:`MAX_FILE_BYTES` and fields over their
caps; every YAML error (an unknown tag such as ``!env`` or ``!!python/object`` included) is that
file's problem, with its line. The text types below (:data:`Name`, :data:`Line`,
:data:`ClaimText`, :data:`LongText`) are the one validation of names and texts for files, the
API and the web forms.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from cssselect import HTMLTranslator, SelectorError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.errors import Problem, WatchlistError
from monitor.types import (
    AlertPolicy,
    ClaimSpec,
    DigestSpec,
    QuietHours,
    SourceKind,
    SourceSpec,
    Stance,
    Verdict,
    Watchlist,
)

MAX_FILE_BYTES = 1024 * 1024
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
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
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2) or "s"])


def parse_duration(value: Any) -> timedelta:
    """A poll interval: :func:`read_duration`, at least :data:`MIN_POLL_INTERVAL`."""
    duration = read_duration(value)
    if duration < MIN_POLL_INTERVAL:
        raise ValueError(f"{value!r} is too short: poll at most every {MIN_POLL_INTERVAL.seconds}s")
    return duration


def _parse_clock(value: Any) -> time:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 07:00 as 420
        return time(value // 60 % 24, value % 60)
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a time of day (use HH:MM)")


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
ClockTime = Annotated[time, BeforeValidator(_parse_clock)]
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


class _SourceSchema(_Strict):
    name: Annotated[Line, Field(min_length=1)]
    url: Annotated[HttpUrl, Field(max_length=2048)]
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
    def _options_fit_kind(self) -> _SourceSchema:
        if self.selector is not None and self.kind is not SourceKind.PAGE:
            raise ValueError("selector applies to sources of kind: page only")
        if self.full_text and self.kind is not SourceKind.FEED:
            raise ValueError("full_text applies to sources of kind: feed (pages are read in full)")
        _check_bounds(self.min_poll_interval, self.poll_interval, self.max_poll_interval)
        return self


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


class _ClaimSchema(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]
    text: ClaimText
    paraphrases: Annotated[list[ClaimText], Field(max_length=50)] = []
    threshold: Threshold | None = None
    verdict: Verdict = Verdict.UNVERIFIED
    notes: LongText = ""


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


class _DigestSchema(_Strict):
    recipients: Annotated[
        list[Annotated[str, Field(max_length=320), AfterValidator(_email_address)]],
        Field(max_length=100),
    ] = []
    send_at: ClockTime = time(7, 0)
    # Default: the watchlist's time zone.
    timezone: Annotated[str, AfterValidator(_known_zone)] | None = None
    stale_after_days: Annotated[int, Field(ge=1, le=365)] = 7


Channel = Annotated[str, Field(pattern=r"^[#@]?[\w.-]{1,80}$")]


class _QuietHoursSchema(_Strict):
    start: ClockTime
    end: ClockTime


class _AlertsSchema(_Strict):
    # Extra channels per stance, e.g. contradictions also to the standards desk.
    routes: dict[Stance, list[Channel]] = {}
    quiet_hours: _QuietHoursSchema | None = None
    per_claim_per_hour: Annotated[int, Field(ge=1, le=1000)] = 6
    per_channel_per_hour: Annotated[int, Field(ge=1, le=3600)] = 30


class _DefaultsSchema(_Strict):
    poll_interval: Duration = timedelta(minutes=15)
    min_poll_interval: Duration | None = None
    max_poll_interval: Duration | None = None
    threshold: Threshold | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> _DefaultsSchema:
        _check_bounds(self.min_poll_interval, self.poll_interval, self.max_poll_interval)
        return self


class _WatchlistSchema(_Strict):
    name: Name
    description: LongText = ""
    slack_channel: Channel
    timezone: str = "UTC"
    digest: _DigestSchema = _DigestSchema()
    alerts: _AlertsSchema = _AlertsSchema()
    defaults: _DefaultsSchema = _DefaultsSchema()
    sources: Annotated[list[_SourceSchema], Field(min_length=1, max_length=1000)]
    claims: Annotated[list[_ClaimSchema], Field(min_length=1, max_length=2000)]
    # Changed only in git: the web UI and API show it read-only (docs/web.md).
    managed_in_git: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as err:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from err
        return value


@dataclass
class LoadReport:
    """What :func:`load_directory` loaded, and the problems of the files it could not load."""

    watchlists: list[Watchlist]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


def load_directory(directory: Path, default_threshold: float = 0.6) -> LoadReport:
    """Load every ``*.yaml``/``*.yml`` file in ``directory``; bad files are reported, not fatal."""
    if not directory.is_dir():
        problem = Problem(str(directory), None, None, "", "watchlist directory not found")
        return LoadReport([], [problem])
    loaded: list[Watchlist] = []
    problems: list[Problem] = []
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    for path in paths:
        try:
            loaded.append(load_file(path, default_threshold))
        except WatchlistError as err:
            problems.extend(err.problems)
    return LoadReport(loaded, problems)


def load_file(path: Path, default_threshold: float = 0.6) -> Watchlist:
    """Load one watchlist file; raise :class:`WatchlistError` listing every problem in it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise WatchlistError([_too_large(str(path))])
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise WatchlistError([Problem(str(path), None, None, "", f"cannot read: {err}")]) from err
    return parse_watchlist(text, path, default_threshold)


def parse_watchlist(text: str, path: Path, default_threshold: float = 0.6) -> Watchlist:
    """Parse and validate a watchlist from YAML text; ``path`` names it in errors."""
    where = str(path)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise WatchlistError([_too_large(where)])
    root, data = _read_yaml(text, where)
    problems = list(_duplicate_keys(root, where))
    try:
        schema = _WatchlistSchema.model_validate(data)
    except ValidationError as err:
        problems.extend(_locate(root, where, e["loc"], e["msg"]) for e in err.errors())
        raise WatchlistError(problems) from err
    problems.extend(_duplicates(root, where, schema))
    if problems:
        raise WatchlistError(problems)
    fingerprint = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return _to_domain(schema, path, default_threshold, fingerprint)


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases as it composes."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None,
                "anchors and aliases (&name, *name) are not allowed: write the value out",
                event.start_mark,
            )  # fmt: skip
        return super().compose_node(parent, index)


def _read_yaml(text: str, where: str) -> tuple[yaml.MappingNode, Any]:
    """The node tree (for locating problems) and the data of one YAML document; every YAML
    error (syntax, aliases, unknown tags, bad values, nesting too deep) as this file's problem."""
    loader = _NoAliasLoader(text)
    try:
        root = loader.get_single_node()
        if not isinstance(root, yaml.MappingNode):
            line = root.start_mark.line + 1 if root is not None else 1
            problem = Problem(where, line, 1, "", "expected a mapping of watchlist fields")
            raise WatchlistError([problem])
        return root, loader.construct_document(root)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = getattr(err, "problem", None) or str(err)
        raise WatchlistError([Problem(where, line, column, "", f"invalid YAML: {reason}")]) from err
    except (ValueError, TypeError, OverflowError, RecursionError) as err:
        # Values PyYAML cannot build (a date such as 2024-13-45), nesting too deep to follow.
        reason = "nested too deeply" if isinstance(err, RecursionError) else str(err)
        raise WatchlistError([Problem(where, None, None, "", f"invalid YAML: {reason}")]) from err
    finally:
        loader.dispose()


def _too_large(where: str) -> Problem:
    limit = f"{MAX_FILE_BYTES // 1024} KiB"
    return Problem(where, None, None, "", f"file too large (a watchlist file is at most {limit})")


def _alert_policy(schema: _AlertsSchema) -> AlertPolicy:
    quiet = schema.quiet_hours
    return AlertPolicy(
        routes=tuple((stance, tuple(channels)) for stance, channels in schema.routes.items()),
        quiet_hours=QuietHours(quiet.start, quiet.end) if quiet else None,
        per_claim_per_hour=schema.per_claim_per_hour,
        per_channel_per_hour=schema.per_channel_per_hour,
    )


def _to_domain(
    schema: _WatchlistSchema, path: Path, default_threshold: float, fingerprint: str
) -> Watchlist:
    defaults = schema.defaults
    return Watchlist(
        key=path.stem,
        name=schema.name,
        slack_channel=schema.slack_channel,
        description=schema.description,
        timezone=schema.timezone,
        threshold=defaults.threshold if defaults.threshold is not None else default_threshold,
        digest=DigestSpec(
            tuple(schema.digest.recipients),
            schema.digest.send_at,
            timezone=schema.digest.timezone or schema.timezone,
            stale_after_days=schema.digest.stale_after_days,
        ),
        alerts=_alert_policy(schema.alerts),
        path=path,
        fingerprint=fingerprint,
        managed_in_git=schema.managed_in_git,
        sources=tuple(
            SourceSpec(
                name=s.name,
                url=str(s.url),
                kind=s.kind,
                poll_interval=s.poll_interval or defaults.poll_interval,
                selector=s.selector,
                full_text=s.full_text,
                min_poll_interval=s.min_poll_interval or defaults.min_poll_interval,
                max_poll_interval=s.max_poll_interval or defaults.max_poll_interval,
            )
            for s in schema.sources
        ),
        claims=tuple(
            ClaimSpec(
                id=c.id,
                text=c.text,
                paraphrases=tuple(c.paraphrases),
                threshold=c.threshold,
                verdict=c.verdict,
                notes=c.notes,
            )
            for c in schema.claims
        ),
    )


def _duplicates(root: yaml.MappingNode, where: str, schema: _WatchlistSchema) -> Iterable[Problem]:
    seen_claims: dict[str, int] = {}
    for index, claim in enumerate(schema.claims):
        if claim.id in seen_claims:
            message = (
                f"duplicate claim id {claim.id!r} (first used by claims[{seen_claims[claim.id]}])"
            )
            yield _locate(root, where, ("claims", index, "id"), message)
        seen_claims.setdefault(claim.id, index)
    seen_urls: dict[str, int] = {}
    for index, source in enumerate(schema.sources):
        url = str(source.url)
        if url in seen_urls:
            message = f"duplicate source url (first used by sources[{seen_urls[url]}])"
            yield _locate(root, where, ("sources", index, "url"), message)
        seen_urls.setdefault(url, index)


def _duplicate_keys(node: yaml.Node, where: str) -> Iterable[Problem]:
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue  # the loader refuses keys that are not plain values
            if key.value in seen:
                line, col = key.start_mark.line + 1, key.start_mark.column + 1
                yield Problem(where, line, col, str(key.value), "key given twice")
            seen.add(key.value)
            yield from _duplicate_keys(value, where)
    elif isinstance(node, yaml.SequenceNode):
        for child in node.value:
            yield from _duplicate_keys(child, where)


def _locate(root: yaml.Node, where: str, loc: tuple[Any, ...], message: str) -> Problem:
    """Turn a pydantic error location into a problem at the closest YAML node."""
    node: yaml.Node = root
    path: list[str] = []
    unknown = message.startswith("Extra inputs are not permitted")
    for position, part in enumerate(loc):
        found = _child(node, part)
        if found is None:
            break
        key, value = found
        last = position == len(loc) - 1
        # An unknown field is shown at its key; an empty value at its key too.
        empty = isinstance(value, yaml.ScalarNode) and value.value == ""
        node = key if key is not None and last and (unknown or empty) else value
        path.append(f"[{part}]" if isinstance(part, int) else f".{part}")
    dotted = "".join(path).lstrip(".")
    if message == "Field required" and loc:
        message = f"missing required field {loc[-1]!r}"
        dotted = dotted or "(top level)"
    elif unknown:
        message = "unknown field (check its spelling)"
    return Problem(where, node.start_mark.line + 1, node.start_mark.column + 1, dotted, message)


def _child(node: yaml.Node, part: Any) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key, value) nodes of ``part`` inside a mapping or sequence node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return None, node.value[part]
    return None


def dump_watchlist(watchlist: Watchlist, default_threshold: float | None = None) -> str:
    """A watchlist as YAML that :func:`parse_watchlist` reads back to the same watchlist
    (comments of the file it came from are not kept)."""
    data: dict[str, Any] = {"name": watchlist.name}
    if watchlist.description:
        data["description"] = watchlist.description
    data["slack_channel"] = watchlist.slack_channel
    if watchlist.timezone != "UTC":
        data["timezone"] = watchlist.timezone
    digest = watchlist.digest
    if digest != DigestSpec(timezone=watchlist.timezone):
        data["digest"] = {
            "recipients": list(digest.recipients),
            "send_at": digest.send_at.strftime("%H:%M"),
        }
        if digest.timezone != watchlist.timezone:
            data["digest"]["timezone"] = digest.timezone
        if digest.stale_after_days != DigestSpec.stale_after_days:
            data["digest"]["stale_after_days"] = digest.stale_after_days
    if watchlist.alerts != AlertPolicy():
        data["alerts"] = _dump_alerts(watchlist.alerts)
    if watchlist.threshold != default_threshold:
        data["defaults"] = {"threshold": watchlist.threshold}
    if watchlist.managed_in_git:
        data["managed_in_git"] = True
    data["sources"] = [dump_source(source) for source in watchlist.sources]
    data["claims"] = [dump_claim(claim) for claim in watchlist.claims]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def format_duration(duration: timedelta) -> str:
    """``15m``, ``1h``, ``90s``: the shortest unit that says ``duration`` exactly."""
    seconds = int(duration.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


def _dump_alerts(policy: AlertPolicy) -> dict[str, Any]:
    default = AlertPolicy()
    data: dict[str, Any] = {}
    if policy.routes:
        data["routes"] = {stance.value: list(channels) for stance, channels in policy.routes}
    if policy.quiet_hours is not None:
        data["quiet_hours"] = {
            "start": policy.quiet_hours.start.strftime("%H:%M"),
            "end": policy.quiet_hours.end.strftime("%H:%M"),
        }
    if policy.per_claim_per_hour != default.per_claim_per_hour:
        data["per_claim_per_hour"] = policy.per_claim_per_hour
    if policy.per_channel_per_hour != default.per_channel_per_hour:
        data["per_channel_per_hour"] = policy.per_channel_per_hour
    return data


def dump_source(source: SourceSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"name": source.name, "url": source.url}
    if source.kind is not SourceKind.FEED:
        data["kind"] = source.kind.value
    data["poll_interval"] = format_duration(source.poll_interval)
    for name in ("min_poll_interval", "max_poll_interval"):
        if (bound := getattr(source, name)) is not None:
            data[name] = format_duration(bound)
    if source.selector:
        data["selector"] = source.selector
    if source.full_text:
        data["full_text"] = True
    return data


def dump_claim(claim: ClaimSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": claim.id, "text": claim.text}
    if claim.paraphrases:
        data["paraphrases"] = list(claim.paraphrases)
    if claim.threshold is not None:
        data["threshold"] = claim.threshold
    if claim.verdict is not Verdict.UNVERIFIED:
        data["verdict"] = claim.verdict.value
    if claim.notes:
        data["notes"] = claim.notes
    return data
