"""Watchlist files: what loads, and how every problem is reported with file and line."""

from __future__ import annotations

import shutil
import threading
from datetime import time, timedelta
from pathlib import Path

import pytest

from monitor.errors import WatchlistError
from monitor.types import SourceKind, Verdict
from monitor.watchlists import (
    dump_watchlist,
    load_directory,
    load_file,
    parse_duration,
    parse_watchlist,
)
from tests.support.cli import run_cli
from tests.support.paths import FIXTURES, REPO

BROKEN = FIXTURES / "watchlists/broken"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(WatchlistError) as caught:
        load_file(path)
    return [str(p) for p in caught.value.problems]


def test_shipped_watchlists_load() -> None:
    report = load_directory(REPO / "watchlists")
    assert report.problems == []
    [desk] = report.watchlists
    texts = {c.text for c in desk.claims}
    assert {
        "North Korea is shipping artillery shells to Russia",
        "Iran supplies Shahed attack drones to Russia",
        "Russia builds Iranian-designed drones at Alabuga",
        "Iran is acquiring Russian attack helicopters or fighter jets",
    } <= texts
    assert all(s.url.startswith("https://") for s in desk.sources)


def test_a_full_watchlist_becomes_domain_objects(tmp_path: Path) -> None:
    text = """
name: Desk
slack_channel: "#desk"
timezone: Europe/Berlin
digest: {recipients: [desk@example.org], send_at: "06:30"}
defaults: {poll_interval: 10m, threshold: 0.7}
sources:
  - {name: Feed, url: "https://example.org/feed.xml"}
  - {name: Page, url: "https://example.org/briefings", kind: page, poll_interval: 1h}
claims:
  - id: c-1
    text: A claim
    paraphrases: [Another way to say it]
    verdict: disputed
  - {id: c-2, text: Second claim, threshold: 0.5}
"""
    desk = parse_watchlist(text, tmp_path / "desk.yaml")
    assert desk.key == "desk"
    assert desk.threshold == 0.7
    assert desk.digest.recipients == ("desk@example.org",)
    assert desk.digest.send_at == time(6, 30)
    assert [s.poll_interval for s in desk.sources] == [timedelta(minutes=10), timedelta(hours=1)]
    assert desk.sources[1].kind is SourceKind.PAGE
    assert desk.claims[0].phrasings == ("A claim", "Another way to say it")
    assert desk.claims[0].verdict is Verdict.DISPUTED
    assert desk.claims[1].threshold == 0.5


def test_every_problem_in_a_file_is_reported_with_its_line() -> None:
    path = BROKEN / "missing-and-bad.yaml"
    problems = problems_of(path)
    joined = "\n".join(problems)
    assert f"{path}:7:10: sources[1].url: URL scheme should be 'http' or 'https'" in joined
    assert f"{path}:8:20: sources[1].poll_interval:" in joined
    assert "'5 minutes' is not a duration" in joined
    assert f"{path}:12:9: claims[1].id: lower-case letters, digits and hyphens" in joined
    assert f"{path}:16:5: claims[3]: missing required field 'text'" in joined
    assert f"{path}:17:14: claims[3].verdict: Input should be" in joined
    assert len(problems) == 5


def test_duplicate_claim_ids_are_reported_at_the_second_use(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text(
        "name: D\nslack_channel: '#d'\nsources:\n  - {name: A, url: 'https://a.example/x'}\n"
        "claims:\n  - {id: same, text: one}\n  - {id: same, text: two}\n"
    )
    assert problems_of(path) == [
        f"{path}:7:10: claims[1].id: duplicate claim id 'same' (first used by claims[0])"
    ]


def test_invalid_yaml_names_the_line() -> None:
    path = BROKEN / "bad-yaml.yaml"
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:4:")
    assert "invalid YAML" in problem


def test_misspelt_field_is_named() -> None:
    path = BROKEN / "typo.yaml"
    problems = problems_of(path)
    assert f"{path}:2:1: slack_chanel: unknown field (check its spelling)" in problems
    assert any("missing required field 'slack_channel'" in p for p in problems)


def test_a_bad_file_never_stops_the_good_ones(tmp_path: Path) -> None:
    shutil.copy(REPO / "watchlists/arms-transfers.yaml", tmp_path / "good.yaml")
    for broken in BROKEN.iterdir():
        shutil.copy(broken, tmp_path / broken.name)
    report = load_directory(tmp_path)
    assert [w.key for w in report.watchlists] == ["good"]
    assert {Path(p.path).name for p in report.problems} == {
        "missing-and-bad.yaml",
        "bad-yaml.yaml",
        "typo.yaml",
        "unknown-tag.yaml",
        "python-object.yaml",
        "aliases.yaml",
        "line-break-name.yaml",
    }


def test_watchlist_check_command_reports_and_fails(tmp_path: Path) -> None:
    shutil.copy(REPO / "watchlists/arms-transfers.yaml", tmp_path / "good.yaml")
    shutil.copy(BROKEN / "typo.yaml", tmp_path / "typo.yaml")
    result = run_cli(["watchlist", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"ok: {tmp_path / 'good.yaml'}" in result.output
    assert f"{tmp_path / 'typo.yaml'}:2:1: slack_chanel: unknown field" in result.output


def test_watchlist_check_passes_on_the_shipped_files() -> None:
    result = run_cli(["watchlist", "check", str(REPO / "watchlists")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (90, timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_durations(value: object, expected: timedelta) -> None:
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["soon", "5 minutes", "1w", True, "2s"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


SOURCE_OPTIONS = """
name: Desk
slack_channel: "#desk"
sources:
{sources}
claims:
  - {{id: c-1, text: A claim}}
"""


def test_page_selector_and_full_text_reach_the_sources(tmp_path: Path) -> None:
    sources = (
        '  - {name: Room, url: "https://example.org/news", kind: page, selector: ".list h2 a"}\n'
        '  - {name: Wire, url: "https://example.org/feed.xml", full_text: true}'
    )
    desk = parse_watchlist(SOURCE_OPTIONS.format(sources=sources), tmp_path / "desk.yaml")
    room, wire = desk.sources
    assert (room.kind, room.selector, room.full_text) == (SourceKind.PAGE, ".list h2 a", False)
    assert (wire.kind, wire.selector, wire.full_text) == (SourceKind.FEED, None, True)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            '{name: R, url: "https://example.org/n", kind: page, selector: "ul > li > a[href"}',
            "sources[0].selector: Value error, 'ul > li > a[href' is not a CSS selector",
        ),
        (
            '{name: W, url: "https://example.org/f", selector: "a"}',
            "sources[0]: Value error, selector applies to sources of kind: page only",
        ),
        (
            '{name: R, url: "https://example.org/n", kind: page, full_text: true}',
            "sources[0]: Value error, full_text applies to sources of kind: feed",
        ),
        (
            '{name: W, url: "https://example.org/f", poll_interval: 5m, max_poll_interval: 2m}',
            "sources[0]: Value error, poll_interval (5m) is longer than max_poll_interval (2m)",
        ),
        (
            '{name: W, url: "https://example.org/f", min_poll_interval: 1h, max_poll_interval: 2m}',
            "sources[0]: Value error, min_poll_interval (1h) is longer than max_poll_interval (2m)",
        ),
    ],
)
def test_source_options_that_do_not_fit_are_reported(
    tmp_path: Path, source: str, message: str
) -> None:
    path = tmp_path / "desk.yaml"
    path.write_text(SOURCE_OPTIONS.format(sources=f"  - {source}"))
    [problem] = problems_of(path)
    assert message in problem and problem.startswith(f"{path}:5:")


def test_the_bounds_of_the_adaptive_interval_come_from_the_source_or_the_defaults(
    tmp_path: Path,
) -> None:
    text = (
        "name: D\nslack_channel: '#d'\n"
        "defaults: {poll_interval: 2m, max_poll_interval: 10m}\nsources:\n"
        "  - {name: Fixed, url: 'https://a.example/f', min_poll_interval: 2m, max_poll_interval: 2m}\n"
        "  - {name: Usual, url: 'https://a.example/u'}\n"
        "claims:\n  - {id: c, text: A claim}\n"
    )
    fixed, usual = parse_watchlist(text, tmp_path / "d.yaml").sources
    assert (fixed.min_poll_interval, fixed.max_poll_interval) == (timedelta(minutes=2),) * 2
    assert (usual.min_poll_interval, usual.max_poll_interval) == (None, timedelta(minutes=10))
    exported = dump_watchlist(parse_watchlist(text, tmp_path / "d.yaml"))
    assert parse_watchlist(exported, tmp_path / "d.yaml").sources == (fixed, usual)


def test_the_fingerprint_changes_with_the_text(tmp_path: Path) -> None:
    text = SOURCE_OPTIONS.format(sources='  - {name: W, url: "https://example.org/f"}')
    first = parse_watchlist(text, tmp_path / "desk.yaml").fingerprint
    assert first == parse_watchlist(text, tmp_path / "desk.yaml").fingerprint
    assert first != parse_watchlist(text + "\n# edited\n", tmp_path / "desk.yaml").fingerprint


@pytest.mark.parametrize("zone", ["America", "x" * 300])
def test_a_time_zone_that_names_a_folder_or_is_too_long_is_a_problem(zone: str) -> None:
    # zoneinfo raises OSError (IsADirectoryError, "file name too long") for these.
    text = f"""\
name: Desk
slack_channel: "#desk"
timezone: {zone}
digest: {{timezone: {zone}}}
sources: [{{name: Wire, url: "https://wire.example/feed.xml"}}]
claims: [{{id: c, text: A claim}}]
"""
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, Path("desk.yaml"))
    wheres = sorted(p.where for p in caught.value.problems)
    assert wheres == ["digest.timezone", "timezone"]
    assert all("unknown time zone" in p.message for p in caught.value.problems)


def test_unknown_tags_are_the_files_problem_with_its_line() -> None:
    [problem] = problems_of(BROKEN / "unknown-tag.yaml")
    assert problem.startswith(f"{BROKEN / 'unknown-tag.yaml'}:5:")
    assert "invalid YAML" in problem and "!env" in problem
    [problem] = problems_of(BROKEN / "python-object.yaml")
    assert problem.startswith(f"{BROKEN / 'python-object.yaml'}:8:")
    assert "python/object" in problem


def test_anchors_and_aliases_are_refused_with_their_line() -> None:
    [problem] = problems_of(BROKEN / "aliases.yaml")
    assert problem.startswith(f"{BROKEN / 'aliases.yaml'}:4:")
    assert "anchors and aliases" in problem


def test_nested_aliases_are_refused_before_they_expand() -> None:
    # "Billion laughs": nine levels of nine aliases each, 9**9 strings if followed.
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "\n".join(
        [*lines, "name: Laughs", 'slack_channel: "#lol"', "sources: *a9", "claims: []"]
    )
    assert len(text) < 800
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            parse_watchlist(text, Path("laughs.yaml"))
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "still loading after 10 s"
    [error] = outcome
    assert isinstance(error, WatchlistError)
    assert "laughs.yaml:1:" in str(error.problems[0]) and "anchors" in error.problems[0].message


def test_files_and_fields_over_their_caps_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 120_000)
    assert any("file too large" in p for p in problems_of(big))
    text = f"""\
name: {"N" * 201}
slack_channel: "#desk"
sources: [{{name: Wire, url: "https://wire.example/feed.xml"}}]
claims: [{{id: c, text: {"x" * 2001}}}]
"""
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(text, Path("desk.yaml"))
    assert sorted(p.where for p in caught.value.problems) == ["claims[0].text", "name"]


def test_a_watchlist_name_must_be_one_line() -> None:
    path = BROKEN / "line-break-name.yaml"
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1:") and "single line" in problem


def test_deep_nesting_is_the_files_problem(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: " + "[" * 5000 + "]" * 5000 + "\n")
    assert any("invalid YAML" in p for p in problems_of(deep))
