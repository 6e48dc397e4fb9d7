"""Fetching against a real local HTTP server: conditional GET, limits and the address guard."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import zlib
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from monitor.errors import FetchError, ThrottledError, UnsafeURLError
from monitor.ingest.fetch import (
    Fetcher,
    FetchPolicy,
    GuardedBackend,
    check_url,
    guarded_transport,
    is_public,
)
from tests.support.servers import LocalServer, Response, SlowRoute


def fetcher(**limits: object) -> Fetcher:
    return Fetcher(FetchPolicy(user_agent="monitor-test/1", allow_private=True, **limits))  # type: ignore[arg-type]


def test_conditional_get_sends_validators_and_reports_304(feed_server: LocalServer) -> None:
    feed_server.responses["/feed"] = Response(
        b"<rss/>", headers={"etag": '"abc"', "last-modified": "Mon, 02 Oct 2023 10:00:00 GMT"}
    )
    first = fetcher().fetch(f"{feed_server.url}/feed")
    assert (first.status, first.content, first.etag) == (200, b"<rss/>", '"abc"')
    feed_server.responses["/feed"] = Response(status=304, headers={"etag": '"abc"'})
    second = fetcher().fetch(f"{feed_server.url}/feed", first.etag, first.last_modified)
    assert second.not_modified
    headers = feed_server.requests[-1][2]
    assert headers["If-None-Match"] == '"abc"'
    assert headers["If-Modified-Since"] == "Mon, 02 Oct 2023 10:00:00 GMT"
    assert headers["User-Agent"] == "monitor-test/1"


def test_http_errors_name_the_status(feed_server: LocalServer) -> None:
    feed_server.responses["/down"] = Response(b"oops", status=503)
    with pytest.raises(FetchError, match="HTTP 503"):
        fetcher().fetch(f"{feed_server.url}/down")


def test_body_larger_than_the_cap_is_refused(feed_server: LocalServer) -> None:
    feed_server.responses["/big"] = Response(b"x" * 200_000)
    with pytest.raises(FetchError, match="larger than 100000 bytes"):
        fetcher(max_bytes=100_000).fetch(f"{feed_server.url}/big")


def test_gzip_bomb_is_capped_on_decoded_size(feed_server: LocalServer) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    assert len(bomb) < 100_000
    feed_server.responses["/bomb"] = Response(bomb, headers={"content-encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than 1000000 bytes"):
        fetcher(max_bytes=1_000_000).fetch(f"{feed_server.url}/bomb")


def test_a_dripping_server_hits_the_overall_deadline(feed_server: LocalServer) -> None:
    feed_server.responses["/drip"] = Response(b"x" * 100, drip_delay=0.05)
    with pytest.raises(FetchError, match="took longer than 1s|timed out"):
        fetcher(timeout=1.0).fetch(f"{feed_server.url}/drip")


def test_redirects_are_followed_up_to_the_limit(feed_server: LocalServer) -> None:
    for hop in range(5):
        feed_server.responses[f"/r{hop}"] = Response(
            status=302, headers={"location": f"/r{hop + 1}"}
        )
    feed_server.responses["/r5"] = Response(b"<rss/>")
    assert fetcher(max_redirects=5).fetch(f"{feed_server.url}/r0").content == b"<rss/>"
    with pytest.raises(FetchError, match="more than 4 redirects"):
        fetcher(max_redirects=4).fetch(f"{feed_server.url}/r0")


def test_each_redirect_hop_is_checked(feed_server: LocalServer) -> None:
    feed_server.responses["/away"] = Response(
        status=301, headers={"location": "file:///etc/passwd"}
    )
    with pytest.raises(UnsafeURLError, match="only http and https"):
        fetcher().fetch(f"{feed_server.url}/away")


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd", "gopher://x/"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(UnsafeURLError, match="only http and https"):
        check_url(url)


def test_loopback_is_refused_unless_private_networks_are_allowed(feed_server: LocalServer) -> None:
    feed_server.responses["/feed"] = Response(b"<rss/>")
    guarded = Fetcher(FetchPolicy(user_agent="t", allow_private=False))
    with pytest.raises(UnsafeURLError, match="MONITOR_ALLOW_PRIVATE_NETWORKS"):
        guarded.fetch(f"{feed_server.url}/feed")
    assert feed_server.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::808:808",  # local-use NAT64
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "::127.0.0.1",  # IPv4-compatible
        "192.0.0.8",
        "192.0.0.9",
        "192.0.0.170",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "2606:4700::1111", "8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"],
)
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


# --- the address guard at connect time ----------------------------------------------------------


def test_a_name_resolving_to_loopback_is_refused_when_connecting(feed_server: LocalServer) -> None:
    feed_server.responses["/feed"] = Response(b"<rss/>")
    port = feed_server.httpd.server_address[1]
    guarded = Fetcher(FetchPolicy(user_agent="t", allow_private=False))
    with pytest.raises(UnsafeURLError, match="localhost resolves to non-public address"):
        guarded.fetch(f"http://localhost:{port}/feed")
    assert feed_server.requests == []


def test_the_transport_itself_refuses_without_any_check_before_the_request(
    feed_server: LocalServer,
) -> None:
    feed_server.responses["/feed"] = Response(b"<rss/>")
    port = feed_server.httpd.server_address[1]
    with httpx.Client(transport=guarded_transport()) as client, pytest.raises(UnsafeURLError):
        client.get(f"http://localhost:{port}/feed")
    assert feed_server.requests == []


class RebindingResolver:
    """Answers 127.0.0.1 the first time and 127.0.0.2 afterwards, counting the questions."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return ["127.0.0.1"] if self.calls == 1 else ["127.0.0.2"]


def test_the_connection_goes_to_the_address_that_was_checked(feed_server: LocalServer) -> None:
    # Only 127.0.0.1 counts as allowed here; a second lookup would answer 127.0.0.2, where
    # nothing listens. The fetch works only if the checked address is the one connected to.
    feed_server.responses["/feed"] = Response(b"<rss/>")
    port = feed_server.httpd.server_address[1]
    resolver = RebindingResolver()
    backend = GuardedBackend(lambda address: str(address) == "127.0.0.1", resolver)
    fetcher = Fetcher(FetchPolicy(user_agent="t"), transport=guarded_transport(backend))
    assert fetcher.fetch(f"http://rebinding.test:{port}/feed").content == b"<rss/>"
    assert resolver.calls == 1
    assert feed_server.requests[0][2]["Host"] == f"rebinding.test:{port}"


def test_every_address_of_a_name_is_checked(feed_server: LocalServer) -> None:
    port = feed_server.httpd.server_address[1]
    backend = GuardedBackend(lambda a: str(a) == "127.0.0.1", lambda h, p: ["127.0.0.1", "::1"])
    fetcher = Fetcher(FetchPolicy(user_agent="t"), transport=guarded_transport(backend))
    with pytest.raises(UnsafeURLError, match="non-public address ::1"):
        fetcher.fetch(f"http://two-addresses.test:{port}/feed")
    assert feed_server.requests == []


def no_such_host(host: str, port: int) -> list[str]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_a_name_that_does_not_resolve_is_a_fetch_error() -> None:
    transport = guarded_transport(GuardedBackend(resolver=no_such_host))
    fetcher = Fetcher(FetchPolicy(user_agent="t"), transport=transport)
    with pytest.raises(FetchError, match="cannot resolve no-such-host.invalid") as caught:
        fetcher.fetch("http://no-such-host.invalid/feed")
    assert not isinstance(caught.value, UnsafeURLError)


# --- politeness -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_answers_carry_retry_after(feed_server: LocalServer, status: int) -> None:
    feed_server.responses["/feed"] = Response(status=status, headers={"retry-after": "120"})
    with pytest.raises(ThrottledError, match=rf"HTTP {status} .*\(Retry-After: 120\)") as caught:
        fetcher().fetch(f"{feed_server.url}/feed")
    assert caught.value.retry_after == "120"


def test_at_most_per_host_requests_run_against_one_host(feed_server: LocalServer) -> None:
    slow = SlowRoute()
    feed_server.responses["/slow"] = slow
    shared = fetcher(per_host=2)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: shared.fetch(f"{feed_server.url}/slow"), range(6)))
    assert slow.most == 2


def test_a_gzip_bomb_never_inflates_far_past_the_cap(feed_server: LocalServer) -> None:
    import tracemalloc

    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    bomb = b"".join([*(packer.compress(block) for _ in range(256)), packer.flush()])  # 256 MiB
    feed_server.responses["/big-bomb"] = Response(bomb, headers={"content-encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="larger than 1000000 bytes"):
            fetcher(max_bytes=1_000_000).fetch(f"{feed_server.url}/big-bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # the cap plus buffers, not the 64 MiB a raw chunk inflates to


def test_compressed_bodies_are_decoded(feed_server: LocalServer) -> None:
    body = b"<rss>" + b"x" * 5000 + b"</rss>"
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    feed_server.responses["/gz"] = Response(
        gzip.compress(body), headers={"content-encoding": "gzip"}
    )
    feed_server.responses["/zl"] = Response(
        zlib.compress(body), headers={"content-encoding": "deflate"}
    )
    feed_server.responses["/raw"] = Response(
        raw_deflate.compress(body) + raw_deflate.flush(), headers={"content-encoding": "deflate"}
    )
    feed_server.responses["/two"] = Response(
        gzip.compress(body[:100]) + gzip.compress(body[100:]), headers={"content-encoding": "gzip"}
    )
    feed_server.responses["/br"] = Response(b"??", headers={"content-encoding": "br"})
    for path in ("/gz", "/zl", "/raw", "/two"):
        assert fetcher().fetch(f"{feed_server.url}{path}").content == body, path
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'"):
        fetcher().fetch(f"{feed_server.url}/br")
