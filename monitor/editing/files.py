"""Watchlist files edited in place, the way an editor would: only the lines an edit must change.

A file is read with ruamel.yaml's round-trip loader, which keeps comments, key order, quoting
and indentation; an edit compares the watchlist's fields before and after and writes only the
fields that changed. A field whose new value is the default is taken out of the file, so
the file stays as short as its editors keep it. New strings that PyYAML (the loader that
validates files) would read as something else (``on``, ``07:00``, ``1e3``) are quoted.

Writing is compare-and-swap: the file is written only if it still holds the text the edit
started from, so an edit never overwrites a hand edit made meanwhile (:class:`EditConflict`).
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import HttpUrl, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from monitor.errors import EditConflict, Problem, WatchlistError
from monitor.types import AlertPolicy, ClaimSpec, DigestSpec, SourceSpec, Watchlist
from monitor.watchlists import dump_claim, dump_source

# One edit of a file at a time in this process (the web server runs requests in threads).
_FILE_LOCK = threading.Lock()
# Fields whose YAML key is not their name: a claim's key is written as its `id`.
_YAML_KEY = {"key": "id"}
_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def fingerprint(text: str) -> str:
    """SHA-256 hex of a file's text: which version of the file it is."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class WatchlistFile:
    """One watchlist file's YAML document, changed field by field and written back."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.original = text
        self._yaml = YAML(typ="rt")
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never re-fold lines the editors wrote
        try:
            # ruamel guesses how sequences are indented; nested mappings are measured here.
            _, indent, offset = load_yaml_guess_indent(text)
            data = self._yaml.load(text)
        except YAMLError as err:
            raise _problem(path, f"cannot edit the file: invalid YAML: {err}") from err
        if not isinstance(data, CommentedMap):
            raise _problem(path, "cannot edit the file: expected a mapping of watchlist fields")
        self.data = data
        self._yaml.indent(mapping=_mapping_indent(text), sequence=indent or 2, offset=offset or 0)

    @classmethod
    def read(cls, path: Path) -> WatchlistFile:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise _problem(path, f"cannot read the file: {err}") from err
        return cls(path, text)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.original)

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.data, out)
        return out.getvalue()

    # --- claims and sources --------------------------------------------------------------

    def put_claim(self, before: ClaimSpec | None, after: ClaimSpec) -> None:
        """Change the claim ``before`` (its changed fields only), or append ``after``."""
        claims = self._sequence("claims")
        if before is None:
            claims.append(_quoted(dump_claim(after)))
            return
        node = _find(claims, "id", before.key)
        _put_fields(node, _fields(before), _fields(after), dump_claim(after))

    def remove_claim(self, claim_id: str) -> None:
        claims = self._sequence("claims")
        del claims[claims.index(_find(claims, "id", claim_id))]

    def put_source(
        self, before: SourceSpec | None, after: SourceSpec, old_url: str | None = None
    ) -> None:
        """Change the source ``before`` (found by ``old_url``, else its URL), or append."""
        sources = self._sequence("sources")
        if before is None:
            sources.append(_quoted(dump_source(after)))
            return
        node = _find(sources, "url", old_url or before.url)
        _put_fields(node, _fields(before), _fields(after), dump_source(after))

    def remove_source(self, url: str) -> None:
        sources = self._sequence("sources")
        del sources[sources.index(_find(sources, "url", url))]

    # --- the watchlist's own settings ----------------------------------------------------

    def put_settings(self, before: Watchlist, after: Watchlist) -> None:
        """Write the watchlist-level fields that differ between ``before`` and ``after``."""
        top = self.data
        for name in ("name", "slack_channel", "description", "timezone"):
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                _set(top, (name,), new if new or name != "description" else None)
        self._put_digest(before.digest, after.digest, after.timezone)
        self._put_alerts(before.alerts, after.alerts)
        if before.threshold != after.threshold:
            _set(top, ("defaults", "threshold"), after.threshold)

    def _put_digest(self, before: DigestSpec, after: DigestSpec, zone: str) -> None:
        top = self.data
        if before.recipients != after.recipients:
            _set(top, ("digest", "recipients"), list(after.recipients) or None)
        if before.send_at != after.send_at:
            _set(top, ("digest", "send_at"), after.send_at.strftime("%H:%M"))
        if before.timezone != after.timezone:
            _set(top, ("digest", "timezone"), None if after.timezone == zone else after.timezone)
        if before.stale_after_days != after.stale_after_days:
            _set(top, ("digest", "stale_after_days"), after.stale_after_days)

    def _put_alerts(self, before: AlertPolicy, after: AlertPolicy) -> None:
        top = self.data
        if before.quiet_hours != after.quiet_hours:
            quiet = after.quiet_hours
            value = (
                {"start": quiet.start.strftime("%H:%M"), "end": quiet.end.strftime("%H:%M")}
                if quiet
                else None
            )
            _set(top, ("alerts", "quiet_hours"), value)
        for name in ("per_claim_per_hour", "per_channel_per_hour"):
            old, new = getattr(before, name), getattr(after, name)
            if old != new:
                default = getattr(AlertPolicy(), name)
                _set(top, ("alerts", name), None if new == default else new)
        if before.routes != after.routes:
            routes = {stance.value: list(channels) for stance, channels in after.routes}
            _set(top, ("alerts", "routes"), routes or None)

    def _sequence(self, key: str) -> CommentedSeq:
        found = self.data.get(key)
        if not isinstance(found, CommentedSeq):
            raise _problem(self.path, f"cannot edit the file: {key} is not a list")
        return found

    # --- writing -------------------------------------------------------------------------

    def write(self, text: str) -> None:
        """Write ``text`` (the edited document) if the file still holds the text it was read
        from; EditConflict if it does not."""
        with _FILE_LOCK:
            self._check_unchanged()
            try:
                write_atomically(self.path, text)
            except OSError as err:
                raise _problem(self.path, f"cannot write the file: {err}") from err

    def _check_unchanged(self) -> None:
        try:
            now = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise _problem(self.path, f"cannot read the file: {err}") from err
        if now != self.original:
            raise EditConflict([Problem(str(self.path), None, None, "", RACED)])


RACED = (
    "the file was changed by hand while this edit was being made: the edit was not saved, "
    "so neither change is lost. Reload the page (the hand edit is loaded within seconds) "
    "and make the edit again."
)


def write_atomically(path: Path, text: str, *, replace: bool = True) -> None:
    """Replace ``path`` with ``text`` in one step: a reader never sees half a file. With
    ``replace=False`` an existing file is kept and FileExistsError raised."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if the file appeared meanwhile
            os.unlink(temporary)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise


def _fields(spec: ClaimSpec | SourceSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in type(spec).__dataclass_fields__}


def _put_fields(
    node: CommentedMap, before: dict[str, Any], after: dict[str, Any], dumped: dict[str, Any]
) -> None:
    """Set the keys whose field changed to their dumped value; drop them where it is now the
    default (absent from ``dumped``)."""
    for field, value in after.items():
        if before.get(field) == value:
            continue
        name = _YAML_KEY.get(field, field)
        if name in dumped:
            node[name] = _like(node.get(name), _quoted(dumped[name]))
        elif name in node:
            del node[name]


def _set(top: CommentedMap, path: tuple[str, ...], value: Any) -> None:
    """Set (``value``) or remove (None) the key at ``path``, making or dropping parent maps."""
    *parents, last = path
    node = top
    chain: list[tuple[CommentedMap, str]] = []
    for name in parents:
        child = node.get(name)
        if not isinstance(child, CommentedMap):
            if value is None:
                return
            child = CommentedMap()
            node[name] = child
        chain.append((node, name))
        node = child
    if value is None:
        node.pop(last, None)
        for parent, name in reversed(chain):  # no empty `digest:` left behind
            if not parent[name]:
                del parent[name]
    else:
        node[last] = _like(node.get(last), _quoted(value))


def _find(sequence: CommentedSeq, key: str, value: str) -> CommentedMap:
    """The entry whose ``key`` is ``value`` (URLs compared as the loader normalises them)."""
    for node in sequence:
        if isinstance(node, CommentedMap) and _same(key, node.get(key), value):
            return node
    raise WatchlistError([Problem("", None, None, key, f"no entry with {key} {value!r}")])


def _same(key: str, found: Any, wanted: str) -> bool:
    if key != "url":
        return str(found) == wanted
    try:
        return str(_URL.validate_python(str(found))) == wanted
    except ValidationError:
        return str(found) == wanted


def _quoted(value: Any) -> Any:
    """``value`` with every string PyYAML would not read back as that string double-quoted."""
    if isinstance(value, dict):
        return CommentedMap((k, _quoted(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(_quoted(v) for v in value)
    if isinstance(value, str) and not _reads_back(value):
        return DoubleQuotedScalarString(value)
    return value


def _like(old: Any, new: Any) -> Any:
    """``new``, quoted the way the value it replaces was (``"07:00"`` stays quoted)."""
    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    return new


def _mapping_indent(text: str) -> int:
    """How far the file indents a mapping inside a top-level key (2 when it has none)."""
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    for line, following in itertools.pairwise(lines):
        if re.match(r"^[\w-]+:\s*(#.*)?$", line):
            nested = re.match(r"^( +)[\w-]+:", following)
            if nested:
                return len(nested.group(1))
    return 2


def _reads_back(text: str) -> bool:
    try:
        return bool(yaml.safe_load(text) == text) and "\n" not in text and text == text.strip()
    except yaml.YAMLError:
        return False


def _problem(path: Path, message: str) -> WatchlistError:
    return WatchlistError([Problem(str(path), None, None, "", message)])
