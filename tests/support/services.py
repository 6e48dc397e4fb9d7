"""A :class:`~monitor.app.Service` around a pipeline a test built itself (its fetcher,
embedder and stance), with the editor and digest desk the composition root would add."""

from __future__ import annotations

from monitor.app import Service, make_digest_desk
from monitor.clock import Clock
from monitor.editing import Editor
from monitor.pipeline import Pipeline
from monitor.settings import Settings
from monitor.store import Repository


def service_around(
    settings: Settings, repository: Repository, pipeline: Pipeline, clock: Clock
) -> Service:
    editor = Editor(
        repository,
        pipeline.embedder,
        pipeline.stance,
        pipeline.fetcher,
        settings.watchlists,
        settings.match_threshold,
        clock,
    )
    digests = make_digest_desk(settings, repository, clock)
    return Service(settings, repository, pipeline, editor, digests, clock=clock)
