"""Generated news feeds served from 127.0.0.1 for the ingestion benchmark.

Every feed is RSS 2.0 with ``ITEMS`` items of a few sentences each (made-up text, see
:mod:`bench.newstext`). What a feed does is its kind:

- ``new``: new items every epoch (cycle); answers 304 to its current validators;
- ``unchanged``: the same items every epoch; answers 304 to its validators;
- ``slow-delay`` / ``slow-drip``: waits 1-3 s before answering / drips the body over 1-3 s,
  and sends no validators (so a second cycle downloads it again and stores nothing);
- ``http-500``, ``malformed`` (an HTML or PHP error page, or junk after the document),
  ``stall`` (never answers), ``drip-past`` (drips past the fetch deadline), ``gzip-bomb``
  (260 KB of gzip that inflates to 256 MiB): the broken feeds, each must be reported.

Feeds are spread over several ports of 127.0.0.1, each port a "host" (the fetcher limits
requests per host:port), like a real watchlist where a few publishers carry many feeds. The
server runs in its own process (:func:`serve`), counts requests per feed path and answers two
control paths: ``/_control/epoch/N`` (start cycle N, reset the counters) and
``/_control/counts`` (requests per feed path, and the server's CPU seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import random
import resource
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from xml.sax.saxutils import escape

from bench.newstext import news_item

ITEMS = 20
NEW_PER_EPOCH = 5
EPOCHS = 2
# Share of each kind, per thousand feeds.
MIX = {
    "new": 600,
    "unchanged": 250,
    "slow-delay": 50,
    "slow-drip": 50,
    "http-500": 15,
    "malformed": 10,
    "stall": 10,
    "drip-past": 5,
    "gzip-bomb": 10,
}
BROKEN = frozenset({"http-500", "malformed", "stall", "drip-past", "gzip-bomb"})
MAX_REQUESTS_PER_CONNECTION = 10_000
IDLE_SECONDS = 75.0
BOMB_INFLATED = 1 << 28

MALFORMED = [
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The feed is being updated.</p></body></html>",
    b"<br />\n<b>Fatal error</b>:  Uncaught PDOException: could not connect to the database "
    b"in /var/www/html/feed.php:12\n",
    b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Desk</title></channel></rss>'
    b"<<<\x00\xff",
]
START = datetime(2024, 3, 1, 6, tzinfo=UTC)


@dataclass(frozen=True)
class Feed:
    """One generated feed: its number, kind, the host (port index) it lives on, its delay."""

    index: int
    kind: str
    host: int
    delay: float = 0.0

    @property
    def path(self) -> str:
        return f"/feeds/{self.index:04d}.xml"

    @property
    def broken(self) -> bool:
        return self.kind in BROKEN


def plan(count: int, hosts: str, seed: int = 1) -> list[Feed]:
    """``count`` feeds in the proportions of :data:`MIX`, kinds shuffled over the hosts.

    ``hosts`` is ``mix`` (5 hosts of 40 feeds, 20 of 10, the rest one feed each, scaled to
    ``count``) or a number of hosts the feeds are dealt over evenly.
    """
    kinds = [kind for kind, share in MIX.items() for _ in range(round(count * share / 1000))]
    kinds = (kinds + ["new"] * count)[:count]
    rng = random.Random(seed)
    rng.shuffle(kinds)
    homes = _hosts(count, hosts)
    return [
        Feed(i, kind, homes[i], round(rng.uniform(1.0, 3.0), 2) if kind.startswith("slow") else 0)
        for i, kind in enumerate(kinds)
    ]


def _hosts(count: int, hosts: str) -> list[int]:
    if hosts != "mix":
        return [i % max(1, int(hosts)) for i in range(count)]
    sizes = [40] * max(1, count // 200) + [10] * (count // 50)
    homes = [host for host, size in enumerate(sizes) for _ in range(size)][:count]
    return homes + list(range(len(sizes), len(sizes) + count - len(homes)))


# --- feed text ------------------------------------------------------------------------------


def item_xml(feed: int, number: int, base: str, boilerplate: bool = False) -> str:
    """One RSS item (see :mod:`bench.newstext`), the same for the same numbers."""
    title, paragraphs = news_item(feed, number, boilerplate=boilerplate)
    published = START + timedelta(hours=number * 3, minutes=feed % 60)
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<item><title>{escape(title)}</title>"
        f"<link>{base}/news/{feed}/{number}</link>"
        f'<guid isPermaLink="false">urn:bench:feed-{feed}:item-{number}</guid>'
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description><![CDATA[{body}]]></description></item>"
    )


def feed_xml(feed: Feed, epoch: int, base: str, boilerplate: bool = False) -> bytes:
    """The feed's document in ``epoch``: only ``new`` feeds change between epochs."""
    first = (epoch - 1) * NEW_PER_EPOCH if feed.kind == "new" else 0
    numbers = reversed(range(first, first + ITEMS))
    items = [item_xml(feed.index, n, base, boilerplate) for n in numbers]
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>Bench desk {feed.index}</title><link>{base}/</link>"
        f"<description>Generated feed number {feed.index}</description>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def gzip_bomb(inflated: int = BOMB_INFLATED) -> bytes:
    """A gzip body of zeros that inflates to ``inflated`` bytes (about 1 KB per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [packer.compress(block) for _ in range(inflated // len(block))]
    return b"".join([*parts, packer.flush()])


@dataclass(frozen=True)
class Document:
    """A rendered feed: plain and gzipped bytes and its validators."""

    plain: bytes
    packed: bytes
    etag: str | None
    last_modified: str | None


def render(feed: Feed, epoch: int, base: str, boilerplate: bool = False) -> Document:
    plain = feed_xml(feed, epoch, base, boilerplate)
    if feed.kind not in ("new", "unchanged"):
        return Document(plain, gzip.compress(plain, 6), None, None)
    version = epoch if feed.kind == "new" else 1
    modified = format_datetime(START + timedelta(days=version), usegmt=True)
    return Document(plain, gzip.compress(plain, 6), f'"f{feed.index}-v{version}"', modified)


# --- the server -----------------------------------------------------------------------------


class FeedServer:
    """Answers feed requests by kind and counts them per path."""

    def __init__(self, feeds: list[Feed], stall_seconds: float, boilerplate: bool) -> None:
        self.feeds = {feed.path: feed for feed in feeds}
        self.stall_seconds = stall_seconds
        self.boilerplate = boilerplate
        self.epoch = 1
        self.counts: Counter[str] = Counter()
        self.documents: dict[tuple[str, int], Document] = {}
        self.bomb = gzip_bomb()

    def render(self, ports: list[int]) -> None:
        """Render every feed for every epoch (links point at the feed's own port)."""
        self.documents = {
            (feed.path, epoch): render(
                feed, epoch, f"http://127.0.0.1:{ports[feed.host]}", self.boilerplate
            )
            for feed in self.feeds.values()
            for epoch in range(1, EPOCHS + 1)
        }

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
                path, headers = _request(head)
                if not await self.answer(path, headers, writer):
                    break
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # idle or half a request: the client went away
        except (ConnectionError, ValueError):
            pass  # the client hung up mid-answer (deadline and size limits), or spoke nonsense
        except asyncio.CancelledError:
            pass  # the server is shutting down: end quietly, not as a cancelled task
        finally:
            writer.close()

    async def answer(
        self, path: str, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection is to be closed."""
        if path.startswith("/_control/"):
            await _send(writer, 200, {"content-type": "application/json"}, self.control(path))
            return True
        feed = self.feeds.get(path)
        if feed is None:
            await _send(writer, 404, {}, b"not found")
            return True
        self.counts[path] += 1
        return await self.serve_feed(feed, headers, writer)

    def control(self, path: str) -> bytes:
        """Start an epoch (resetting the counters) or report the counters; both report the
        server's own CPU seconds so far, to show it is not what the benchmark measures."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime
        if path.startswith("/_control/epoch/"):
            self.epoch = min(EPOCHS, max(1, int(path.rsplit("/", 1)[1])))
            self.counts.clear()
            return json.dumps({"epoch": self.epoch, "cpu_seconds": cpu}).encode()
        return json.dumps({"requests": dict(self.counts), "cpu_seconds": cpu}).encode()

    async def serve_feed(
        self, feed: Feed, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> bool:
        document = self.documents[(feed.path, self.epoch)]
        kind = feed.kind
        if kind == "http-500":
            await _send(writer, 500, {"content-type": "text/html"}, b"<h1>Internal error</h1>")
        elif kind == "malformed":
            body = MALFORMED[feed.index % len(MALFORMED)]
            await _send(writer, 200, {"content-type": "application/rss+xml"}, body)
        elif kind == "gzip-bomb":
            bomb_headers = {"content-type": "application/rss+xml", "content-encoding": "gzip"}
            await _send(writer, 200, bomb_headers, self.bomb)
        elif kind == "stall":
            await asyncio.sleep(self.stall_seconds)
            return False
        elif kind == "drip-past":
            await _drip(writer, document.plain, self.stall_seconds, 2.0)
            return False
        elif kind == "slow-drip":
            await _drip(writer, document.plain, feed.delay, feed.delay / 10)
        else:
            if kind == "slow-delay":
                await asyncio.sleep(feed.delay)
            await self.serve_document(document, headers, writer)
        return True

    async def serve_document(
        self, document: Document, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> None:
        validators = {}
        if document.etag and document.last_modified:
            validators = {"etag": document.etag, "last-modified": document.last_modified}
            if headers.get("if-none-match") == document.etag or (
                "if-none-match" not in headers
                and headers.get("if-modified-since") == document.last_modified
            ):
                await _send(writer, 304, validators, b"")
                return
        response = {"content-type": "application/rss+xml; charset=utf-8", **validators}
        if "gzip" in headers.get("accept-encoding", ""):
            await _send(writer, 200, {**response, "content-encoding": "gzip"}, document.packed)
        else:
            await _send(writer, 200, response, document.plain)


def _request(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    _method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return target.split("?", 1)[0], headers


REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}


def _head(status: int, headers: dict[str, str], length: int) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS[status]}", f"content-length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _send(
    writer: asyncio.StreamWriter, status: int, headers: dict[str, str], body: bytes
) -> None:
    writer.write(_head(status, headers, len(body)) + body)
    await writer.drain()


async def _drip(writer: asyncio.StreamWriter, body: bytes, seconds: float, every: float) -> None:
    """Send ``body`` in pieces, one every ``every`` seconds, for at most ``seconds``."""
    steps = max(1, int(seconds / every))
    piece = max(1, -(-len(body) // steps))
    writer.write(_head(200, {"content-type": "application/rss+xml"}, len(body)))
    for start in range(0, len(body), piece):
        await asyncio.sleep(every)
        writer.write(body[start : start + piece])
        await writer.drain()


# --- the process ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerOptions:
    """How the server runs: ports to listen on, how long broken feeds stall, its lifetime."""

    hosts: int
    stall_seconds: float
    lifetime: float
    boilerplate: bool = False


def serve(feeds: list[Feed], options: ServerOptions, conn: Connection) -> None:
    """Process entry point: listen on ``options.hosts`` ports of 127.0.0.1, send the ports
    through ``conn``, serve until ``conn`` says stop or closes (or ``options.lifetime`` ends)."""
    asyncio.run(_serve(feeds, options, conn))


async def _serve(feeds: list[Feed], options: ServerOptions, conn: Connection) -> None:
    server = FeedServer(feeds, options.stall_seconds, options.boilerplate)
    listeners = [
        await asyncio.start_server(server.handle, "127.0.0.1", 0, backlog=1024)
        for _ in range(options.hosts)
    ]
    ports = [listener.sockets[0].getsockname()[1] for listener in listeners]
    server.render(ports)
    conn.send(ports)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), options.lifetime)
    loop.remove_reader(conn.fileno())
    for listener in listeners:
        listener.close()
