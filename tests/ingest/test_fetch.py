"""Fetching against a real local HTTP server: conditional GET, limits and the address guard."""

from __future__ import annotations

import gzip
import ipaddress

import pytest

from monitor.errors import FetchError, UnsafeURLError
from monitor.ingest.fetch import Fetcher, FetchPolicy, check_url, is_public
from tests.servers import LocalServer, Response


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
        check_url(url, allow_private=False)


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
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))
