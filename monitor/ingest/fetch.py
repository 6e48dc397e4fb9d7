"""Retrieve bytes from sources over HTTP, politely and safely.

Every fetch is a conditional GET (ETag / Last-Modified) with an overall deadline, a cap on the
decoded body size and a redirect limit; each redirect hop is checked again. URLs must be http(s)
and, unless private networks are allowed, resolve only to public addresses.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from monitor.errors import FetchError, UnsafeURLError
from monitor.types import FetchResult

_REDIRECTS = {301, 302, 303, 307, 308}
# Shared address space (RFC 6598) is not covered by ipaddress' is_private.
_CGNAT = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits applied to every fetch."""

    user_agent: str
    timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False


def check_url(url: str, allow_private: bool) -> None:
    """Refuse URLs that are not http(s) or that resolve to non-public addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"{url}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise UnsafeURLError(f"{url}: URL has no host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"{url}: cannot resolve {parts.hostname}: {err}") from err
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not is_public(address):
            raise UnsafeURLError(
                f"{url}: {parts.hostname} resolves to non-public address {address} "
                "(set MONITOR_ALLOW_PRIVATE_NETWORKS=true to allow)"
            )


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return False
    return address.is_global and not address.is_multicast


class Fetcher:
    """Conditional GETs with limits; thread-safe (one pooled httpx client)."""

    def __init__(self, policy: FetchPolicy, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self._client = httpx.Client(
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(policy.timeout, connect=min(10.0, policy.timeout)),
            follow_redirects=False,
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def fetch(
        self, url: str, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url``; a 304 answer comes back as ``status == 304`` with no content."""
        deadline = time.monotonic() + self.policy.timeout
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            check_url(current, self.policy.allow_private)
            result, location = self._get(current, headers, deadline)
            if location is None:
                return result
            current = urljoin(current, location)
        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects")

    def _get(
        self, url: str, headers: dict[str, str], deadline: float
    ) -> tuple[FetchResult, str | None]:
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                if response.status_code in _REDIRECTS and "location" in response.headers:
                    return FetchResult(url, response.status_code), response.headers["location"]
                if response.status_code == 304:
                    return FetchResult(url, 304, etag=etag_of(response)), None
                if response.status_code >= 400:
                    raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
                content = self._read(url, response, deadline)
        except httpx.TimeoutException as err:
            raise FetchError(f"{url}: timed out ({err.__class__.__name__})") from err
        except httpx.HTTPError as err:
            raise FetchError(f"{url}: {err.__class__.__name__}: {err}") from err
        return (
            FetchResult(
                url=url,
                status=response.status_code,
                content=content,
                content_type=response.headers.get("content-type", ""),
                etag=etag_of(response),
                last_modified=response.headers.get("last-modified"),
            ),
            None,
        )

    def _read(self, url: str, response: httpx.Response, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.policy.max_bytes:
                raise FetchError(f"{url}: response larger than {self.policy.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: took longer than {self.policy.timeout:g}s")
            chunks.append(chunk)
        return b"".join(chunks)


def etag_of(response: httpx.Response) -> str | None:
    etag: str | None = response.headers.get("etag")
    return etag
