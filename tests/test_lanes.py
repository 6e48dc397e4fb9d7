"""How a polling cycle is split into lanes: per-host limits, slow sources spread out."""

from __future__ import annotations

from datetime import timedelta

from monitor.pipeline import host_lanes
from monitor.types import Source, SourceKind


def source(i: int, host: str, last: float | None = None) -> Source:
    return Source(
        id=i,
        name=f"s{i}",
        url=f"http://{host}/f{i}.xml",
        kind=SourceKind.FEED,
        poll_interval=timedelta(minutes=15),
        last_duration=last,
    )


def test_each_source_once_and_never_more_lanes_than_the_host_limit() -> None:
    sources = [source(i, f"h{i % 3}.example") for i in range(20)]
    lanes = host_lanes(sources, per_host=2)
    assert sorted(s.id for lane in lanes for s in lane) == list(range(20))
    for host in ("h0", "h1", "h2"):
        assert sum(1 for lane in lanes if lane[0].url.startswith(f"http://{host}.")) == 2
    assert all(len({s.url.split("/")[2] for s in lane}) == 1 for lane in lanes)


def test_slow_sources_of_one_host_go_to_different_lanes_which_start_first() -> None:
    # The two that took 30 s last time (a stalled server) must not queue behind each other.
    sources = [source(i, "big.example", 0.5) for i in range(10)]
    sources[3] = source(3, "big.example", 30.0)
    sources[4] = source(4, "big.example", 0.2)
    sources[7] = source(7, "big.example", 30.0)
    lanes = host_lanes([*sources, source(99, "small.example")], per_host=2)
    big = [lane for lane in lanes if lane[0].url.startswith("http://big.")]
    assert [sorted(s.id for s in lane if s.last_duration == 30.0) for lane in big] == [[3], [7]]
    assert lanes[-1][0].id == 99  # the short lane goes last
