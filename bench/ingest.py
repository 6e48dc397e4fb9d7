"""Ingestion benchmark: polling cycles of 1,000 feeds served from 127.0.0.1.

    python -m bench ingest [--feeds 1000] [--hosts mix] [--concurrency 8,32,64] [--runs 3]
                           [--timeout 30] [--profile DIR]

Starts the feed server (:mod:`bench.feedserver`: 60% feeds with new items, 25% answering 304
on the second cycle, 10% slow, 5% broken) in its own process, then, for each concurrency and
run, the fetch stage in a fresh process: a new SQLite database holding the feeds as one
watchlist's sources, then two cycles of ``Pipeline.poll_many(repository.sources())`` (cycle 1:
everything new; cycle 2: new items, 304s, slow and broken feeds again). Nothing is judged.

Prints JSON: per concurrency, the median wall seconds of each cycle (and the CPU seconds and
the slowest host lane, to tell waiting from working), items stored, feeds fetched more than
once (the server's counters), broken feeds reported, peak RSS of the fetch-stage process, and
whether each target is met. ``--profile DIR`` writes a CPU profile of the polling threads.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import multiprocessing
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from bench.feedserver import BROKEN, Feed, ServerOptions, plan, serve
from monitor.clock import system_clock
from monitor.ingest.fetch import Fetcher, FetchPolicy
from monitor.ingest.parsing import make_reader
from monitor.judge.stance import MentionsOnly
from monitor.logs import setup_logging
from monitor.memory import limit_malloc_arenas
from monitor.notify.slack import ConsoleSink
from monitor.pipeline import Pipeline, PollOutcome, host_lanes
from monitor.store import open_store
from monitor.types import Source, SourceSpec, Watchlist

TARGET_SECONDS = 60.0
TARGET_RSS_MIB = 300
CHILD_LIMIT_S = 900
DEFAULT_TIMEOUT = 30.0  # Settings.fetch_timeout
DEFAULT_CONCURRENCY = "32"  # Settings.fetch_concurrency
Config = dict[str, Any]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench ingest")
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", default="mix", help="'mix' or a number of hosts (ports)")
    parser.add_argument("--concurrency", default=DEFAULT_CONCURRENCY)
    parser.add_argument("--runs", type=int, default=3, choices=range(1, 11))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="fetch deadline")
    parser.add_argument(
        "--boilerplate", action="store_true", help="end every item with the same footer"
    )
    parser.add_argument(
        "--parse-processes", type=int, default=1, help="feed parser processes (0: in-process)"
    )
    parser.add_argument("--profile", type=Path, help="write CPU profiles of the fetch stage here")
    parser.add_argument("--logs", type=Path, help="keep the fetch stage's logs here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(fetch_stage(json.loads(args.child.read_text()))))
        return
    concurrencies = [int(c) for c in args.concurrency.split(",")][:8]
    feeds = plan(args.feeds, args.hosts)
    hosts = max(feed.host for feed in feeds) + 1
    load = os.getloadavg()
    lifetime = len(concurrencies) * args.runs * CHILD_LIMIT_S + 300
    options = ServerOptions(hosts, args.timeout + 15, lifetime, args.boilerplate)
    with feed_server(feeds, options) as ports:
        sources = [_source_config(feed, ports) for feed in feeds]
        config = {"sources": sources, "control": ports[0], "timeout": args.timeout,
                  "parse_processes": args.parse_processes}  # fmt: skip
        for directory in (args.profile, args.logs):
            if directory:
                directory.mkdir(parents=True, exist_ok=True)
        results = {
            c: [
                run_child(
                    {**config, "concurrency": c, "profile": _kept(args.profile, c, run, "txt")},
                    _kept(args.logs, c, run, "log"),
                )
                for run in range(args.runs)
            ]
            for c in concurrencies
        }
    print(json.dumps(report(feeds, hosts, args, load, results), indent=2))


def _source_config(feed: Feed, ports: list[int]) -> Config:
    url = f"http://127.0.0.1:{ports[feed.host]}{feed.path}"
    return {"name": f"Bench feed {feed.index}", "url": url, "kind": feed.kind}


def _kept(directory: Path | None, concurrency: int, run: int, suffix: str) -> str | None:
    return str(directory / f"ingest-c{concurrency}-run{run}.{suffix}") if directory else None


@contextmanager
def feed_server(feeds: list[Feed], options: ServerOptions) -> Iterator[list[int]]:
    """The feed server in its own process; yields its ports (one per host) on 127.0.0.1."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=serve, args=(feeds, options, theirs), daemon=True)
    process.start()
    try:
        if not ours.poll(180):
            raise RuntimeError("the feed server did not start within 180 s")
        yield ours.recv()
    finally:
        ours.send("stop")
        process.join(30)
        if process.is_alive():
            process.terminate()
            process.join(10)


def run_child(config: Config, log_path: str | None) -> Config:
    """One run of the fetch stage in a fresh process (so its peak RSS is the stage's own)."""
    # Loopback only: no proxy from the environment may see the benchmark's requests.
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        log = Path(log_path) if log_path else Path(tmp) / "fetch.log"
        command = [sys.executable, "-m", "bench", "ingest", "--child", str(path)]
        with log.open("w") as errors:
            result = subprocess.run(
                command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env,
                timeout=CHILD_LIMIT_S, check=False,
            )  # fmt: skip
        if result.returncode != 0:
            sys.stderr.write(log.read_text()[-4000:])
            raise RuntimeError(f"fetch stage failed with exit status {result.returncode}")
    outcome: Config = json.loads(result.stdout)
    print(f"concurrency {config['concurrency']}: {_brief(outcome)}", file=sys.stderr)
    return outcome


def _brief(outcome: Config) -> str:
    return ", ".join(
        f"cycle {c['epoch']} {c['seconds']} s ({c['items_stored']} items)"
        + (f" crashed: {c['cycle_crashed'][:80]}" if c["cycle_crashed"] else "")
        for c in outcome["cycles"]
    )


# --- the fetch stage (child process) --------------------------------------------------------


def fetch_stage(config: Config) -> Config:
    """Two polling cycles of the configured sources into a fresh SQLite database."""
    limit_malloc_arenas()  # as `monitor` does on start
    setup_logging("INFO")  # as the service runs; stderr goes to a file
    specs = tuple(SourceSpec(s["name"], s["url"]) for s in config["sources"])
    watchlist = Watchlist("bench-ingest", "Ingestion benchmark", "#bench", specs, ())
    with tempfile.TemporaryDirectory() as tmp:
        repository = open_store(f"sqlite:///{tmp}/ingest.sqlite3")
        repository.sync_watchlists([watchlist], system_clock())
        policy = FetchPolicy(
            user_agent="monitor-bench/1", timeout=config["timeout"], allow_private=True
        )
        fetcher = Fetcher(policy)
        pipeline = TimedPipeline(
            repository, fetcher, NoEmbedder(), MentionsOnly(), ConsoleSink(),
            concurrency=config["concurrency"], profile=bool(config["profile"]),
            reader=make_reader(config["parse_processes"]), clock=system_clock,
        )  # fmt: skip
        rss_at_start = _current_rss_mib()
        try:
            cycles = [one_cycle(pipeline, config, epoch) for epoch in (1, 2)]
        finally:
            fetcher.close()
            pipeline.reader.close()
            repository.engine.dispose()
    if config["profile"]:
        pipeline.write_profile(Path(config["profile"]))
    return {"rss_at_start_mib": rss_at_start, "cycles": cycles}


def one_cycle(pipeline: TimedPipeline, config: Config, epoch: int) -> Config:
    """Poll every source once; what the cycle took and did, checked against the server."""
    server_before = json.loads(control(config["control"], f"/_control/epoch/{epoch}"))
    repository = pipeline.repository
    sources = repository.sources()
    pipeline.forget()
    stored_before = repository.count_items()
    cpu_before, start = _cpu_seconds(), time.perf_counter()
    parsers_before = sum(cpu for cpu, _ in _children().values())
    try:
        pipeline.poll_many(sources)
        crash = None
    except Exception as err:  # a crashed cycle is a result to report
        crash = f"{err.__class__.__name__}: {str(err)[:300]}"
    seconds = time.perf_counter() - start
    cpu = _cpu_seconds() - cpu_before
    parsers_cpu = sum(cpu for cpu, _ in _children().values()) - parsers_before
    server = json.loads(control(config["control"], "/_control/counts"))
    counts: dict[str, int] = server["requests"]
    kind_of = {s["url"]: s["kind"] for s in config["sources"]}
    took = {s.url: pipeline.durations.get(s.id, 0.0) for s in sources}
    fetching = {s.url: pipeline.fetch_seconds.get(s.id, 0.0) for s in sources}
    lanes = host_lanes(sources, pipeline.fetcher.policy.per_host)
    return {
        "epoch": epoch,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "parser_cpu_seconds": round(parsers_cpu, 2),
        "server_cpu_seconds": round(server["cpu_seconds"] - server_before["cpu_seconds"], 2),
        "slowest_lane_seconds": round(max(sum(fetching[s.url] for s in lane) for lane in lanes), 2),
        "lanes": len(lanes),
        "items_stored": repository.count_items() - stored_before,
        "not_modified": sum(o.not_modified for o in pipeline.outcomes.values()),
        **_checks(pipeline, kind_of, counts, len(sources)),
        "cycle_crashed": crash,
        "slowest_poll_by_kind": _slowest_by_kind(took, kind_of),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        # The fetch stage's memory: this process plus its feed parser processes.
        "peak_rss_with_parsers_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        + sum(peak for _, peak in _children().values()),
    }


def _checks(
    pipeline: TimedPipeline, kind_of: dict[str, str], counts: dict[str, int], polled: int
) -> Config:
    """Broken feeds reported (and nothing else), each feed fetched once, nothing lost."""
    broken = {url for url, kind in kind_of.items() if kind in BROKEN}
    errors = {o.source.url: o.error for o in pipeline.outcomes.values() if o.error}
    unexpected = sorted(str(errors[url]) for url in errors.keys() - broken)
    return {
        "broken_feeds": len(broken),
        "broken_reported": len(broken & errors.keys()),
        "unexpected_errors": len(unexpected),
        "unexpected_error_samples": unexpected[:3],
        "polls_raised": len(pipeline.raised),
        "raised_samples": sorted(set(pipeline.raised.values()))[:3],
        "fetched_twice": sum(1 for n in counts.values() if n > 1),
        "not_fetched": polled - len(counts),
        "error_sample_by_kind": {kind_of[url]: error for url, error in sorted(errors.items())},
    }


def _slowest_by_kind(took: dict[str, float], kind_of: dict[str, str]) -> dict[str, float]:
    slowest: dict[str, float] = {}
    for url, seconds in took.items():
        kind = kind_of[url]
        slowest[kind] = round(max(slowest.get(kind, 0.0), seconds), 2)
    return dict(sorted(slowest.items()))


def _current_rss_mib() -> int:
    """Resident memory now (ru_maxrss only knows the peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1 << 20)


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its live children (the feed parser processes)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime + sum(cpu for cpu, _ in _children().values())


def _children() -> dict[int, tuple[float, int]]:
    """Live child processes: pid -> (CPU seconds, peak RSS in MiB), from /proc."""
    found: dict[int, tuple[float, int]] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            pids = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in map(int, pids):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            peak = next((line.split()[1] for line in status.splitlines()
                         if line.startswith("VmHWM:")), "0")  # fmt: skip
            found[pid] = ((int(stat[11]) + int(stat[12])) / ticks, int(peak) // 1024)
    return found


def control(port: int, path: str) -> bytes:
    """Ask the feed server (127.0.0.1 only, no proxy) to start a cycle or for its counters."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


class NoEmbedder:
    """Stands in for the model: polling must never embed."""

    model_key = "none"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("poll_many embedded text")


class TimedPipeline(Pipeline):
    """The pipeline, timing each poll's two halves (and profiling their CPU when asked)."""

    def __init__(self, *args: Any, profile: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.started: dict[int, float] = {}
        self.fetch_seconds: dict[int, float] = {}  # the host lane's own work
        self.durations: dict[int, float] = {}  # start of the fetch to the end of storing
        self.outcomes: dict[int, PollOutcome] = {}
        self.raised: dict[int, str] = {}
        self.profiles: dict[int, cProfile.Profile] | None = {} if profile else None

    def forget(self) -> None:
        """Start a new cycle's records."""
        self.started, self.fetch_seconds, self.durations = {}, {}, {}
        self.outcomes, self.raised = {}, {}

    def _fetch(self, source: Source) -> Any:
        start = self.started[source.id] = time.perf_counter()
        try:
            return self._profiled(super()._fetch, source)
        except Exception as err:  # the pipeline promises it never raises: record and re-raise
            self.raised[source.id] = f"{err.__class__.__name__}: {str(err)[:200]}"
            raise
        finally:
            self.fetch_seconds[source.id] = time.perf_counter() - start

    def _settle(self, fetched: Any) -> PollOutcome:
        source = fetched.source
        try:
            outcome: PollOutcome = self._profiled(super()._settle, fetched)
        except Exception as err:
            self.raised[source.id] = f"{err.__class__.__name__}: {str(err)[:200]}"
            raise
        finally:
            self.durations[source.id] = time.perf_counter() - self.started[source.id]
        self.outcomes[source.id] = outcome
        return outcome

    def _profiled(self, call: Any, argument: Any) -> Any:
        if self.profiles is None:
            return call(argument)
        # CPU time per thread: a profile of work, not of waiting for the network.
        profiler = self.profiles.setdefault(
            threading.get_ident(), cProfile.Profile(time.thread_time)
        )
        return profiler.runcall(call, argument)

    def write_profile(self, path: Path) -> None:
        profiles = list((self.profiles or {}).values())
        if not profiles:
            return
        with path.open("w") as out:
            stats = pstats.Stats(profiles[0], stream=out)
            for extra in profiles[1:]:
                stats.add(extra)
            stats.sort_stats("tottime").print_stats(40)
            stats.sort_stats("cumulative").print_stats(40)


# --- the report -----------------------------------------------------------------------------


def report(
    feeds: list[Feed],
    hosts: int,
    args: argparse.Namespace,
    load: tuple[float, float, float],
    results: dict[int, list[Config]],
) -> Config:
    kinds: dict[str, int] = {}
    for feed in feeds:
        kinds[feed.kind] = kinds.get(feed.kind, 0) + 1
    return {
        "commit": _commit(),
        "feeds": len(feeds),
        "hosts": hosts,
        "kinds": kinds,
        "fetch_timeout_s": args.timeout,
        "parse_processes": args.parse_processes,
        "boilerplate": args.boilerplate,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "loadavg_at_start": [round(x, 2) for x in load],
        "by_concurrency": [summary(c, runs) for c, runs in results.items()],
    }


def _commit() -> str:
    """The checked-out commit (plus "+changes" when the tree differs from it)."""
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "monitor"], capture_output=True)
    return (head.stdout.strip() or "unknown") + ("+changes" if dirty.stdout.strip() else "")


def summary(concurrency: int, runs: list[Config]) -> Config:
    """Medians over runs per cycle, worst cases for the checks, and the targets."""
    cycles = [
        {
            key: statistics.median(run["cycles"][i][key] for run in runs)
            for key in (
                "seconds",
                "cpu_seconds",
                "parser_cpu_seconds",
                "server_cpu_seconds",
                "slowest_lane_seconds",
                "items_stored",
            )
        }
        | {"not_modified": runs[0]["cycles"][i]["not_modified"]}
        for i in range(2)
    ]
    every = [cycle for run in runs for cycle in run["cycles"]]
    worst = {
        "fetched_twice": max(c["fetched_twice"] for c in every),
        "not_fetched": max(c["not_fetched"] for c in every),
        "broken_feeds": every[0]["broken_feeds"],
        "broken_reported_min": min(c["broken_reported"] for c in every),
        "unexpected_errors": max(c["unexpected_errors"] for c in every),
        "polls_raised": max(c["polls_raised"] for c in every),
        "cycles_crashed": sum(1 for c in every if c["cycle_crashed"]),
        "peak_rss_mib": max(c["peak_rss_with_parsers_mib"] for c in every),
        "peak_rss_without_parsers_mib": max(c["peak_rss_mib"] for c in every),
        "rss_at_start_mib": max(run["rss_at_start_mib"] for run in runs),
    }
    return {
        "concurrency": concurrency,
        "cycle1": cycles[0],
        "cycle2": cycles[1],
        **worst,
        "targets_met": {
            "cycle_le_60s": all(c["seconds"] <= TARGET_SECONDS for c in cycles),
            "rss_le_300mib": worst["peak_rss_mib"] <= TARGET_RSS_MIB,
            "no_feed_fetched_twice": worst["fetched_twice"] == 0,
            "every_feed_fetched": worst["not_fetched"] == 0,
            "every_broken_reported": worst["broken_reported_min"] == worst["broken_feeds"]
            and worst["unexpected_errors"] == 0
            and worst["cycles_crashed"] == 0,
        },
        "last_run": runs[-1]["cycles"],
    }


if __name__ == "__main__":
    main(sys.argv[1:])
