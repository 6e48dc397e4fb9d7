"""Edits made in the web UI and API: watchlists, claims and sources, written through to the
YAML files.

The watchlist files stay the source of truth (:mod:`monitor.ownership`). An edit opens the
watchlist's file, changes only the lines it must (:mod:`monitor.editing.files`), validates the
result exactly as a file is validated, writes it back unless it was changed by hand meanwhile,
and stores it as a file reload would. A watchlist managed in git, or one in a folder this
server cannot write, is refused before anything is done. Every edit goes to the audit
log. Removing a claim or a source does what deleting it from the file does: the claim is
deactivated and the watchlist stops reading the source, and their evidence and items stay.
A claim's preview searches the archive of passage vectors for what it would match; saving
records those matches as evidence without alerts (a backfill: old news is not news).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.editing.archive import PREVIEW_SIZE, ClaimArchive, PreviewMatch
from monitor.editing.files import WatchlistFile, write_atomically
from monitor.editing.settings import WatchlistSettings
from monitor.errors import EditConflict, Problem, ReadOnlyWatchlist, WatchlistError
from monitor.ingest.feeds import read_feed
from monitor.ingest.fetch import Fetcher
from monitor.ingest.pages import article_links
from monitor.judge.embed import Embedder
from monitor.judge.relevance import SIMILARITY_ONLY, Relevance
from monitor.judge.stance import StanceClassifier
from monitor.ownership import read_only_reason
from monitor.store import Repository
from monitor.types import (
    Claim,
    ClaimSpec,
    Source,
    SourceKind,
    SourceSpec,
    Watchlist,
)
from monitor.watchlists import dump_watchlist, parse_watchlist

log = logging.getLogger(__name__)
# A new watchlist's key names its file: <key>.yaml in the watchlists directory.
WATCHLIST_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclass(frozen=True)
class SavedClaim:
    """A saved claim and how much archived evidence its backfill recorded."""

    claim: Claim
    backfilled: int


@dataclass(frozen=True)
class TestFetch:
    """What a test fetch of a new source found: how many entries (feed) or links (page)."""

    __test__ = False  # not a pytest class
    url: str
    found: int


class Editor:
    """The edits the web front ends make, each audited, each written to the watchlist file."""

    def __init__(
        self,
        repository: Repository,
        embedder: Embedder,
        stance: StanceClassifier,
        fetcher: Fetcher,
        watchlists_dir: Path,
        default_threshold: float,
        clock: Callable[[], datetime],
        *,
        relevance: Relevance = SIMILARITY_ONLY,
    ) -> None:
        self.repository = repository
        self.archive = ClaimArchive(repository, embedder, stance, clock, relevance=relevance)
        self.fetcher = fetcher
        self.watchlists_dir = watchlists_dir
        self.default_threshold = default_threshold
        self.clock = clock

    # --- claims -------------------------------------------------------------------------

    def preview(
        self, watchlist_key: str, spec: ClaimSpec, limit: int = PREVIEW_SIZE
    ) -> list[PreviewMatch]:
        """What ``spec`` would match among the archived items of the watchlist's sources."""
        watchlist = self._open(watchlist_key, for_edit=False).watchlist
        threshold = spec.threshold if spec.threshold is not None else watchlist.threshold
        return self.archive.preview(watchlist_key, spec, threshold, limit)

    def backfill(self, claim: Claim) -> int:
        """Record what the claim matches in the archive as evidence, without alerts."""
        return self.archive.backfill(claim)

    def save_claim(self, watchlist_key: str, spec: ClaimSpec, actor: str) -> SavedClaim:
        """Add or change a claim (by its id) in its watchlist file, then backfill its evidence."""
        draft = self._open(watchlist_key)
        watchlist = draft.watchlist
        before = next((c for c in watchlist.claims if c.key == spec.key), None)
        if before is None:
            claims = (*watchlist.claims, spec)
        else:
            claims = tuple(spec if c.key == spec.key else c for c in watchlist.claims)
        changed = replace(watchlist, claims=claims)
        self._store(draft, changed, lambda file: file.put_claim(before, spec), actor)
        action = "claim.create" if before is None else "claim.update"
        target = f"claim:{watchlist_key}/{spec.key}"
        self.repository.record_audit(
            actor, action, target, _plain(before), _plain(spec), self.clock()
        )
        claim = next(c for c in self.repository.claims(watchlist_key) if c.key == spec.key)
        return SavedClaim(claim, self.backfill(claim))

    def remove_claim(self, watchlist_key: str, claim_key: str, actor: str) -> None:
        """Take a claim out of its watchlist file: it stops matching; its evidence stays."""
        draft = self._open(watchlist_key)
        watchlist = draft.watchlist
        before = next((c for c in watchlist.claims if c.key == claim_key), None)
        if before is None:
            raise _refused(watchlist_key, "claims", f"the watchlist has no claim {claim_key!r}")
        if len(watchlist.claims) == 1:
            raise _refused(
                watchlist_key,
                "claims",
                "a watchlist needs at least one claim: add another before removing this one",
            )
        claims = tuple(c for c in watchlist.claims if c.key != claim_key)
        changed = replace(watchlist, claims=claims)
        self._store(draft, changed, lambda file: file.remove_claim(claim_key), actor)
        target = f"claim:{watchlist_key}/{claim_key}"
        self.repository.record_audit(
            actor, "claim.remove", target, _plain(before), None, self.clock()
        )

    # --- watchlists ---------------------------------------------------------------------

    def create_watchlist(
        self,
        key: str,
        settings: WatchlistSettings,
        source: SourceSpec,
        claim: ClaimSpec,
        actor: str,
    ) -> Watchlist:
        """Write a new watchlist file, ``<key>.yaml``, with its first source (test-fetched
        first) and its first claim (backfilled from the archive); returns it as stored."""
        if not WATCHLIST_KEY.match(key):
            message = (
                "lower-case letters, digits, hyphens and underscores (at most 100), "
                "starting with a letter or digit"
            )
            raise _refused(key, "key", message)
        path = self.watchlists_dir / f"{key}.yaml"
        if (reason := read_only_reason(False, path, writable(path))) is not None:
            raise ReadOnlyWatchlist([Problem(key, None, None, "", reason)])
        if (
            key in self.repository.watchlist_keys()
            or path.exists()
            or path.with_suffix(".yml").exists()
        ):
            raise _refused(key, "key", f"a watchlist {key!r} exists already (or did once)")
        blank = Watchlist(
            key=key,
            name=settings.name,
            slack_channel=settings.slack_channel,
            sources=(source,),
            claims=(claim,),
            threshold=self.default_threshold,
            path=path,
        )
        watchlist = settings.apply(blank)
        _validate(watchlist, self.default_threshold)  # a bad form costs no fetch
        self.test_fetch(source)
        self._create(watchlist, actor)
        after = {**(_plain(settings) or {}), "source": source.url, "claim": claim.key}
        self.repository.record_audit(
            actor, "watchlist.create", f"watchlist:{key}", None, after, self.clock()
        )
        stored = next(c for c in self.repository.claims(key) if c.key == claim.key)
        self.backfill(stored)
        return self._open(key, for_edit=False).watchlist

    def watchlist_settings(self, key: str) -> WatchlistSettings:
        """A watchlist's settings as its file says now (WatchlistError when there is none)."""
        return WatchlistSettings.of(self._open(key, for_edit=False).watchlist)

    def update_watchlist(self, key: str, settings: WatchlistSettings, actor: str) -> Watchlist:
        """Change a watchlist's own settings (name, Slack channel, time zone, digest, alert
        limits and quiet hours) in its file."""
        draft = self._open(key)
        before = WatchlistSettings.of(draft.watchlist)
        changed = settings.apply(draft.watchlist)
        self._store(draft, changed, lambda file: file.put_settings(draft.watchlist, changed), actor)
        self.repository.record_audit(
            actor,
            "watchlist.update",
            f"watchlist:{key}",
            _plain(before),
            _plain(settings),
            self.clock(),
        )
        return self._open(key, for_edit=False).watchlist

    # --- sources ------------------------------------------------------------------------

    def test_fetch(self, spec: SourceSpec) -> TestFetch:
        """Fetch a would-be source once (through the address guard) and read it as its kind
        says; raises FetchError or ParseError when it cannot be used."""
        result = self.fetcher.fetch(spec.url)
        if spec.kind is SourceKind.PAGE:
            return TestFetch(spec.url, len(article_links(result, spec.selector)))
        return TestFetch(spec.url, len(read_feed(result, self.clock()).entries))

    def save_source(self, watchlist_key: str, spec: SourceSpec, actor: str) -> Source:
        """Add a source to a watchlist after a test fetch (or change the watchlist's source with
        the same URL); returns the stored source."""
        draft = self._open(watchlist_key)
        before = next((s for s in draft.watchlist.sources if s.url == spec.url), None)
        if before is None:
            self.test_fetch(spec)
        self._put_source(draft, spec, spec.url, actor)
        action = "source.create" if before is None else "source.update"
        self.repository.record_audit(
            actor, action, f"source:{spec.url}", _plain(before), _plain(spec), self.clock()
        )
        return self._stored_source(spec.url)

    def update_source(self, source_id: int, spec: SourceSpec, actor: str) -> Source:
        """Change a source in every watchlist that reads it (a new URL is test-fetched first)."""
        old = self.repository.source(source_id)
        keys = [
            key
            for key in self.repository.watchlist_keys()
            if source_id in self.repository.watchlist_source_ids(key)
        ]
        if not keys:
            raise WatchlistError([Problem(old.url, None, None, "", "no watchlist reads it")])
        drafts = [self._open(key) for key in keys]  # every file editable, or none is changed
        if spec.url != old.url:
            self.test_fetch(spec)
        before = None
        for draft in drafts:
            found = next((s for s in draft.watchlist.sources if s.url == old.url), None)
            before = before or found
            self._put_source(draft, spec, old.url, actor)
        self.repository.record_audit(
            actor, "source.update", f"source:{old.url}", _plain(before), _plain(spec), self.clock()
        )
        self.repository.prune_unlinked_sources()
        return self._stored_source(spec.url)

    def _put_source(self, draft: _Draft, spec: SourceSpec, old_url: str, actor: str) -> None:
        sources = draft.watchlist.sources
        before = next((s for s in sources if s.url == old_url), None)
        if before is not None:
            changed = tuple(spec if s.url == old_url else s for s in sources)
        else:
            changed = (*sources, spec)
        self._store(
            draft,
            replace(draft.watchlist, sources=changed),
            lambda file: file.put_source(before, spec, old_url),
            actor,
        )

    def _stored_source(self, url: str) -> Source:
        return next(s for s in self.repository.sources(include_disabled=True) if s.url == url)

    def remove_source(self, watchlist_key: str, source_id: int, actor: str) -> None:
        """Take a source out of a watchlist file: the watchlist stops reading it (it is no longer
        polled unless another watchlist reads it); its items and their evidence stay."""
        draft = self._open(watchlist_key)
        watchlist = draft.watchlist
        stored = self.repository.find_source(source_id)
        before = next((s for s in watchlist.sources if stored and s.url == stored.url), None)
        if stored is None or before is None:
            raise _refused(watchlist_key, "sources", "the watchlist does not read that source")
        if len(watchlist.sources) == 1:
            raise _refused(
                watchlist_key,
                "sources",
                "a watchlist needs at least one source: add another before removing this one",
            )
        sources = tuple(s for s in watchlist.sources if s.url != before.url)
        removed = before.url
        changed = replace(watchlist, sources=sources)
        self._store(draft, changed, lambda file: file.remove_source(removed), actor)
        self.repository.record_audit(
            actor,
            "source.remove",
            f"source:{before.url}",
            {**(_plain(before) or {}), "watchlist": watchlist_key},
            None,
            self.clock(),
        )
        self.repository.prune_unlinked_sources()  # only sources that never yielded an item

    def set_source_enabled(self, source_id: int, enabled: bool, actor: str) -> Source:
        before = self.repository.source(source_id)
        reason = None if enabled else f"disabled by {actor}"
        after = self.repository.set_source_enabled(source_id, enabled, self.clock(), reason)
        self.repository.record_audit(
            actor,
            "source.enable" if enabled else "source.disable",
            f"source:{before.url}",
            {"enabled": before.enabled, "disabled_reason": before.disabled_reason},
            {"enabled": after.enabled, "disabled_reason": after.disabled_reason},
            self.clock(),
        )
        return after

    # --- files --------------------------------------------------------------------------

    def read_only_reason(self, key: str) -> str | None:
        """Why the watchlist may not be edited here (managed in git, a read-only folder), or
        None: what the pages and the API show before any form."""
        stored = self.repository.watchlist(key)
        if stored is None:
            return None
        path = stored.path or self.watchlists_dir / f"{key}.yaml"
        return read_only_reason(stored.managed_in_git, stored.path, writable(path))

    def check_editable(self, key: str) -> None:
        """Raise ReadOnlyWatchlist when the watchlist may not be edited here: what the pages
        and the API ask before showing a form or taking an edit."""
        if (reason := self.read_only_reason(key)) is not None:
            raise ReadOnlyWatchlist([Problem(key, None, None, "", reason)])

    def check_source_editable(self, source_id: int) -> None:
        """Raise ReadOnlyWatchlist when a watchlist reading the source may not be edited."""
        for key in self.repository.watchlist_keys():
            if source_id in self.repository.watchlist_source_ids(key):
                self.check_editable(key)

    def editable_keys(self) -> list[str]:
        """The watchlists the web UI and API may edit here."""
        return [k for k in self.repository.watchlist_keys() if self.read_only_reason(k) is None]

    def _open(self, key: str, *, for_edit: bool = True) -> _Draft:
        """The watchlist to change, as its file says (the version stored), and the file's
        document; refused up front when it may not be edited here, or when its file was
        changed by hand since it was loaded (the edit would be made to a version nobody saw)."""
        stored = self.repository.watchlist(key)
        if stored is None:
            raise WatchlistError([Problem(key, None, None, "", "no such watchlist")])
        if for_edit:
            self.check_editable(key)
        path = stored.path
        if path is None or not path.is_file():
            return _Draft(stored, None)
        document = WatchlistFile.read(path)
        if for_edit and stored.fingerprint and document.fingerprint != stored.fingerprint:
            raise EditConflict([Problem(str(path), None, None, "", HAND_EDITED)])
        return _Draft(parse_watchlist(document.original, path, self.default_threshold), document)

    def _store(
        self,
        draft: _Draft,
        changed: Watchlist,
        edit: Callable[[WatchlistFile], None],
        actor: str,
    ) -> None:
        """Make ``edit`` to the file (or write the whole file, where there is none), validate
        it as a file, write it back unless it changed meanwhile, and store it."""
        document = draft.document
        if document is None:
            self._create(changed, actor, replace_file=True)
            return
        edit(document)
        text = document.text()
        checked = parse_watchlist(text, document.path, self.default_threshold)
        document.write(text)
        self.repository.sync_watchlists([checked], self.clock(), f"a web edit by {actor}")

    def _create(self, watchlist: Watchlist, actor: str, *, replace_file: bool = False) -> None:
        """Write a whole new file (never over another one unless ``replace_file``), store it."""
        path = watchlist.path or self.watchlists_dir / f"{watchlist.key}.yaml"
        text = dump_watchlist(watchlist, self.default_threshold)
        checked = parse_watchlist(text, path, self.default_threshold)  # raises WatchlistError
        try:
            write_atomically(path, text, replace=replace_file)
        except OSError as err:
            problem = Problem(str(path), None, None, "", f"cannot write the file: {err}")
            raise WatchlistError([problem]) from err
        self.repository.sync_watchlists([checked], self.clock(), f"a web edit by {actor}")


HAND_EDITED = (
    "the file was changed by hand since the service last loaded it: this edit was not saved, "
    "so the hand edit is not overwritten. The service loads the file within seconds (or "
    "reports what is wrong with it); then reload the page and make the edit again."
)


@dataclass(frozen=True)
class _Draft:
    """A watchlist being edited: as its file says, and the file's document (None: no file)."""

    watchlist: Watchlist
    document: WatchlistFile | None


def writable(path: Path) -> bool:
    """Whether this process can write ``path`` (or create it) in its folder: a folder mounted
    read-only is not writable, whoever runs the process."""
    folder = path.parent
    if not folder.is_dir():
        return False
    if path.exists() and not os.access(path, os.W_OK):
        return False
    if not os.access(folder, os.W_OK):
        return False
    try:
        return not os.statvfs(folder).f_flag & os.ST_RDONLY
    except OSError:
        return False


def export_watchlists(
    repository: Repository, directory: Path, default_threshold: float
) -> list[Path]:
    """Write every active watchlist as stored to ``directory/<key>.yaml``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for key in repository.watchlist_keys():
        watchlist = repository.watchlist(key)
        if watchlist is None:
            continue
        path = directory / f"{key}.yaml"
        write_atomically(path, dump_watchlist(watchlist, default_threshold))
        written.append(path)
    return written


def _validate(watchlist: Watchlist, default_threshold: float) -> None:
    """Raise WatchlistError, with every problem, if ``watchlist`` would not load as a file."""
    path = watchlist.path or Path(f"{watchlist.key}.yaml")
    parse_watchlist(dump_watchlist(watchlist, default_threshold), path, default_threshold)


def _refused(key: str, field: str, message: str) -> WatchlistError:
    return WatchlistError([Problem(key, None, None, field, message)])


def _plain(value: ClaimSpec | SourceSpec | WatchlistSettings | None) -> dict[str, Any] | None:
    """A spec as JSON-ready data for the audit log, named as in the file (a claim's ``id``)."""
    if value is None:
        return None
    fields = dataclasses.asdict(value)
    if isinstance(value, ClaimSpec):
        fields = {"id": fields.pop("key"), **fields}
    return {name: _json_ready(v) for name, v in fields.items()}


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_json_ready(v) for v in value]
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
