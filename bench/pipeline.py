"""End-to-end benchmark: real news text through the whole pipeline, with the default models.

    python -m bench pipeline [--items 300] [--runs 3] [--latency 180]
                             [--backend torch|onnx|onnx-int8]

The embedding backend is the service's default (``onnx`` since 2026-12-01, ``torch`` before)
unless ``--backend`` names one. Like the service, the ONNX backends keep their export in
``var/models`` (``MONITOR_EMBEDDING_CACHE_DIR``): a first run exports the model once, which
counts in that run's ``model_load_seconds`` and peak RSS, not in its throughput; so does
loading the stance model (since 2026-12-01: before, the cross-encoder's load, and with ONNX
embeddings torch's import, fell in the first cycle's stance stage).

FNC-1 bodies (``../shared/datasets/fnc1``) are served as RSS feeds (full text in each item)
from a server on 127.0.0.1; the claims are FNC-1 headlines written about those bodies, so
matching and stance do real work. Each run, in a fresh process with a fresh SQLite file:

* **throughput**: one cycle (poll every feed, judge every item, deliver every alert to a local
  Slack Web API stub), items per second end to end, and the share of time in each stage;
* **overhead**: the same texts the pipeline sent to the embedding model, encoded again in one
  go by a fresh model: end-to-end time / bare model time;
* **latency** (``--latency SECONDS``): the service's scheduler runs with 60 s poll intervals
  while new items appear in the feeds at random moments; the time from an item appearing to
  its Slack post, p50 and p95;
* peak RSS of the run's process.

Medians over runs are printed as JSON; figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np

from bench.stance import DEFAULT_DATA
from monitor.judge.fnc import read_bodies, read_pairs

Config = dict[str, Any]
FEEDS = 20


# --- servers on 127.0.0.1 ---------------------------------------------------------------------


class Feeds:
    """RSS feeds of FNC-1 bodies; items can be published while the server runs."""

    def __init__(self, count: int) -> None:
        self.items: list[list[tuple[str, str, str]]] = [[] for _ in range(count)]
        self.published: dict[str, float] = {}  # item URL -> when it appeared
        self.lock = threading.Lock()

    def publish(self, feed: int, key: str, title: str, body: str) -> None:
        url = f"https://news.bench.invalid/{key}"
        with self.lock:
            self.items[feed].insert(0, (url, title, body))
            del self.items[feed][40:]  # feeds keep their newest 40 items
            self.published[url] = time.time()

    def document(self, feed: int) -> bytes:
        with self.lock:
            items = list(self.items[feed])
        entries = "".join(
            f"<item><title>{escape(title)}</title><link>{url}</link><guid>{url}</guid>"
            f"<description>{escape(body)}</description></item>"
            for url, title, body in items
        )
        return (
            f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {feed}</title>{entries}</channel></rss>"
        ).encode()


class SlackStub:
    """Answers chat.postMessage like Slack and notes when each item's alert arrived."""

    def __init__(self) -> None:
        self.posted: dict[str, float] = {}  # item URL -> first post time
        self.count = 0
        self.lock = threading.Lock()

    def post(self, body: bytes) -> bytes:
        payload = json.loads(body)
        metadata = payload.get("metadata") or {}
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        url = (metadata.get("event_payload") or {}).get("item_url")
        with self.lock:
            self.count += 1
            if url:
                self.posted.setdefault(url, time.time())
            ts = f"{int(time.time())}.{self.count:06d}"
        return json.dumps({"ok": True, "channel": "CBENCH", "ts": ts}).encode()


@contextmanager
def serve(feeds: Feeds, slack: SlackStub) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            feed = int(self.path.strip("/").removesuffix(".xml").removeprefix("feed-"))
            self._answer(feeds.document(feed), "application/rss+xml")

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            self._answer(slack.post(self.rfile.read(length)), "application/json")

        def _answer(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- the run (child process) ------------------------------------------------------------------


class RecordingEmbedder:
    """Passes texts to the model and remembers each one it computed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_key = inner.model_key
        self.texts: list[str] = []
        self.seconds = 0.0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        start = time.perf_counter()
        try:
            result: np.ndarray = self.inner.encode(texts)
            return result
        finally:
            self.seconds += time.perf_counter() - start


def corpus(
    data: Path, items: int, claims: int, seed: int = 7
) -> tuple[list[tuple[str, str]], list[str], list[tuple[str, str]]]:
    """``items`` (Body ID, body), ``claims`` headlines written about those bodies, and other
    bodies about the same claims (new stories for the latency run)."""
    bodies = read_bodies(data / "train_bodies.csv")
    pairs = read_pairs(data / "train_stances.csv")
    rng = random.Random(seed)
    chosen = rng.sample(sorted(bodies), items)
    related = sorted(
        {p.headline for p in pairs if p.body_id in set(chosen) and p.label != "unrelated"}
    )
    picked = rng.sample(related, min(claims, len(related)))
    others = sorted(
        {p.body_id for p in pairs if p.headline in set(picked) and p.label != "unrelated"}
        - set(chosen)
    )
    rng.shuffle(others)
    return [(b, bodies[b]) for b in chosen], picked, [(b, bodies[b]) for b in others]


def watchlist_yaml(base: str, claims: list[str]) -> str:
    # A fixed 60 s clock (the adaptive interval's bounds set to it), so that the latency run
    # measures against one known poll interval.
    sources = "\n".join(
        f'  - {{name: "Bench feed {i}", url: "{base}/feed-{i}.xml", poll_interval: 60s, '
        "min_poll_interval: 60s, max_poll_interval: 60s}"
        for i in range(FEEDS)
    )
    listed = "\n".join(
        f"  - id: claim-{i}\n    text: {json.dumps(text)}" for i, text in enumerate(claims)
    )
    return (
        'name: Pipeline bench\nslack_channel: "#bench"\n'
        "alerts: {per_claim_per_hour: 1000, per_channel_per_hour: 3600}\n"
        f"sources:\n{sources}\nclaims:\n{listed}\n"
    )


def run(config: Config) -> Config:
    from monitor.app import build_service
    from monitor.judge.embed import CachedEmbedder
    from monitor.memory import limit_malloc_arenas
    from monitor.metrics import STAGE_SECONDS
    from monitor.settings import load_settings

    limit_malloc_arenas()
    items, claims, fresh = corpus(Path(config["data"]), config["items"], config["claims"])
    feeds, slack = Feeds(FEEDS), SlackStub()
    with tempfile.TemporaryDirectory() as tmp, serve(feeds, slack) as base:
        directory = Path(tmp) / "watchlists"
        directory.mkdir()
        (directory / "bench.yaml").write_text(watchlist_yaml(base, claims))
        backend = {"embedding_backend": config["backend"]} if config.get("backend") else {}
        settings = load_settings(
            database_url=f"sqlite:///{tmp}/bench.sqlite3",
            watchlists=directory,
            slack_bot_token="xoxb-bench",
            slack_api_url=f"{base}/api/",
            slack_pace=0,
            allow_private_networks=True,
            **backend,
        )
        service = build_service(settings)
        cache = service.pipeline.embedder
        assert isinstance(cache, CachedEmbedder)
        recorder = RecordingEmbedder(cache.inner)  # below the cache: what the model computed
        cache.inner = recorder
        started = time.perf_counter()
        service.pipeline.embedder.encode(["warm-up: load the model"])
        # The stance model too, as `monitor run` does at start (the cross-encoder loads its
        # weights): a service loads its models once, so the load is no part of a cycle's
        # throughput.
        service.load_stance()
        load_seconds = time.perf_counter() - started
        recorder.texts.clear()
        recorder.seconds = 0.0
        report = service.sync_watchlists()
        if report.problems:
            raise SystemExit(f"bench watchlist: {report.problems[0]}")
        for index, (body_id, body) in enumerate(items):
            title = body.strip().split("\n", 1)[0][:120]
            feeds.publish(index % FEEDS, f"fnc-{body_id}", title, body)

        before = _stage_totals(STAGE_SECONDS)
        start = time.perf_counter()
        service.pipeline.run_cycle(service.repository.sources())
        seconds = time.perf_counter() - start
        stages = {k: v - before.get(k, 0.0) for k, v in _stage_totals(STAGE_SECONDS).items()}

        bare_model = bare_embedder(settings)
        bare_model.encode(["warm-up"])
        texts = list(recorder.texts)
        start = time.perf_counter()
        bare_model.encode(texts)
        bare = time.perf_counter() - start

        latency = _latency(service, feeds, slack, fresh, config) if config["latency"] else {}
        status = service.repository.status(service.clock())
        service.close()
    return {
        "backend": settings.embedding_backend,
        "items": len(items),
        "claims": len(claims),
        "words_per_item": round(statistics.mean(len(b.split()) for _, b in items)),
        "model_load_seconds": round(load_seconds, 2),
        "seconds": round(seconds, 2),
        "items_per_second": round(len(items) / seconds, 2),
        "stage_seconds": {k: round(v, 2) for k, v in sorted(stages.items())},
        "texts_embedded": len(texts),
        "model_seconds_in_pipeline": round(recorder.seconds, 2),
        "bare_model_seconds": round(bare, 2),
        "overhead_ratio": round(seconds / bare, 3),
        "evidence": status.evidence_last_day,
        "alerts_posted": slack.count,
        "latency": latency,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def bare_embedder(settings: Any) -> Any:
    """A fresh embedder (not the process-wide one) of the configured model and backend."""
    from monitor.judge.embed import OnnxEmbedder, SentenceTransformerEmbedder

    if settings.embedding_backend == "torch":
        return SentenceTransformerEmbedder(
            settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
        )
    return OnnxEmbedder(
        settings.embedding_model,
        settings.resolved_embedding_cache_dir,
        quantized=settings.embedding_backend == "onnx-int8",
        batch_size=settings.embedding_batch_size,
        threads=settings.embedding_threads,
    )


def _stage_totals(histogram: Any) -> dict[str, float]:
    totals: dict[str, float] = {}
    for metric in histogram.collect():
        for sample in metric.samples:
            if sample.name.endswith("_sum"):
                totals[sample.labels["stage"]] = sample.value
    return totals


def _latency(
    service: Any, feeds: Feeds, slack: SlackStub, items: list[tuple[str, str]], config: Config
) -> Config:
    """Run the scheduler while new stories appear; seconds from appearing to the Slack post
    (of those that matched a claim and were alerted)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from monitor.scheduler import MonitorScheduler

    scheduler = MonitorScheduler(service, BackgroundScheduler)
    scheduler.start()
    rng = random.Random(11)
    fresh: list[str] = []
    deadline = time.time() + config["latency"]
    number = 0
    try:
        while time.time() < deadline:
            time.sleep(rng.uniform(2, 8))
            body_id, body = items[number % len(items)]
            key = f"live-{number}-{body_id}"
            feeds.publish(rng.randrange(FEEDS), key, body.split("\n", 1)[0][:120], body)
            fresh.append(f"https://news.bench.invalid/{key}")
            number += 1
        time.sleep(90)  # the last items' next poll
    finally:
        scheduler.shutdown()
    waits = sorted(slack.posted[u] - feeds.published[u] for u in fresh if u in slack.posted)
    if not waits:
        return {"published": len(fresh), "alerted": 0}
    return {
        "published": len(fresh),
        "alerted": len(waits),
        "p50_seconds": round(float(np.percentile(waits, 50)), 1),
        "p95_seconds": round(float(np.percentile(waits, 95)), 1),
        "max_seconds": round(waits[-1], 1),
    }


# --- the driver -------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench pipeline")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--claims", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0, help="seconds of live publishing")
    parser.add_argument(
        "--backend",
        choices=["torch", "onnx", "onnx-int8"],
        help="MONITOR_EMBEDDING_BACKEND (default: the service's, onnx; torch before 2026-12-01)",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run(json.loads(args.child.read_text()))))
        return
    config = {"data": str(args.data), "items": args.items, "claims": args.claims,
              "latency": args.latency, "backend": args.backend}  # fmt: skip
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}  # loopback only
    runs = []
    for number in range(args.runs):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(config, handle)
        command = [sys.executable, "-m", "bench", "pipeline", "--child", handle.name]
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        Path(handle.name).unlink()
        if result.returncode != 0:
            sys.stderr.write(result.stderr[-4000:])
            raise SystemExit(f"run {number + 1} failed")
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
        print(f"run {number + 1}: {runs[-1]['items_per_second']} items/s, "
              f"overhead x{runs[-1]['overhead_ratio']}", file=sys.stderr)  # fmt: skip
    medians = {
        key: statistics.median(r[key] for r in runs)
        for key in ("seconds", "items_per_second", "overhead_ratio", "bare_model_seconds",
                    "model_seconds_in_pipeline", "peak_rss_mib")
    }  # fmt: skip
    latencies = [r["latency"] for r in runs if r["latency"].get("alerted")]
    if latencies:
        medians["latency"] = {
            key: statistics.median(r[key] for r in latencies)
            for key in ("p50_seconds", "p95_seconds", "max_seconds", "alerted")
        }
    print(
        json.dumps(
            {"loadavg_at_start": os.getloadavg(), "medians": medians, "runs": runs}, indent=2
        )
    )
