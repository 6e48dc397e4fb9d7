"""Watchlist files read and validated, each problem located by file, line and column.

A file is parsed to a YAML node tree first, so every problem found later (a missing field, a bad
URL, a duplicate claim id) is reported with where it is. A broken file never stops the others
from loading: :func:`load_directory` returns what loaded and what did not.

Files are untrusted input too: anchors and aliases are refused (nested aliases expand
exponentially, "billion laughs"), as are files over :data:`~.schema.MAX_FILE_BYTES` and
fields over their caps; every YAML error (an unknown tag such as ``!env`` or
``!!python/object`` included) is that file's problem, with its line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from monitor.errors import Problem, WatchlistError
from monitor.types import (
    AlertPolicy,
    DigestSpec,
    QuietHours,
    Watchlist,
)
from monitor.watchlists.schema import MAX_FILE_BYTES, AlertsSchema, WatchlistSchema


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
        schema = WatchlistSchema.model_validate(data)
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
    loader = None
    try:
        loader = _NoAliasLoader(text)  # its reader refuses control characters at once
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
        if loader is not None:
            loader.dispose()


def _too_large(where: str) -> Problem:
    limit = f"{MAX_FILE_BYTES // 1024} KiB"
    return Problem(where, None, None, "", f"file too large (a watchlist file is at most {limit})")


def _alert_policy(schema: AlertsSchema) -> AlertPolicy:
    quiet = schema.quiet_hours
    return AlertPolicy(
        routes=tuple((stance, tuple(channels)) for stance, channels in schema.routes.items()),
        quiet_hours=QuietHours(quiet.start, quiet.end) if quiet else None,
        per_claim_per_hour=schema.per_claim_per_hour,
        per_channel_per_hour=schema.per_channel_per_hour,
    )


def _to_domain(
    schema: WatchlistSchema, path: Path, default_threshold: float, fingerprint: str
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
        sources=tuple(source.spec(defaults) for source in schema.sources),
        claims=tuple(c.spec(c.id) for c in schema.claims),
    )


def _duplicates(root: yaml.MappingNode, where: str, schema: WatchlistSchema) -> Iterable[Problem]:
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
