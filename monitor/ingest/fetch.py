"""Retrieve bytes from sources over HTTP, politely and safely.

Every fetch is a conditional GET (ETag / Last-Modified) with an overall deadline, a cap on the
decoded body size and a redirect limit; each redirect hop is checked again. At most
``per_host`` requests run against one host at a time. URLs must be http(s) and, unless private
networks are allowed, connect only to public addresses: the guard sits in the transport, which
resolves each host once, checks every address and connects to the address it checked, so a
name that resolves differently a second time (DNS rebinding) cannot slip through. With the
guard on, proxies from the environment are not used (the guard must see where it connects).
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from monitor.errors import FetchError, ThrottledError, UnsafeURLError
from monitor.types import FetchResult

_REDIRECTS = {301, 302, 303, 307, 308}
_THROTTLED = {429, 503}
# Shared address space (RFC 6598) and IETF protocol assignments (RFC 6890: DS-Lite, NAT64
# discovery...) are not covered by the is_global of every Python version.
_NOT_GLOBAL_V4 = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("192.0.0.0/24"))
# IPv6 ranges that carry an IPv4 address: it decides (NAT64 64:ff9b::/96 and IPv4-compatible
# ::/96 in the low 32 bits; 6to4 2002::/16 in bits 16-48). Local-use NAT64 is never public.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class FetchPolicy:
    """Limits applied to every fetch."""

    user_agent: str
    timeout: float = 30.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    allow_private: bool = False
    per_host: int = 2


def check_url(url: str) -> None:
    """Refuse URLs that are not http(s) or have no host (addresses are checked on connect)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURLError(f"{url}: only http and https URLs can be fetched")
    if not parts.hostname:
        raise UnsafeURLError(f"{url}: URL has no host")


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only (an IPv6 address that carries an IPv4
    one is judged by that one)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            address = embedded
    if isinstance(address, ipaddress.IPv4Address) and any(address in n for n in _NOT_GLOBAL_V4):
        return False
    return address.is_global and not address.is_multicast


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedBackend(httpcore.SyncBackend):
    """An httpcore network backend that connects only to addresses it has checked.

    The host is resolved once; if any address fails ``allowed`` the connection is refused with
    :class:`UnsafeURLError`, otherwise it is made to those very addresses. TLS still uses the
    host name (SNI and certificate checks happen above this layer), and so does ``Host``.
    """

    def __init__(
        self, allowed: Callable[[IPAddress], bool] = is_public, resolver: Resolver = resolve
    ) -> None:
        self.allowed = allowed
        self.resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._checked(host, port)
        for address in addresses[:-1]:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError:
                continue
        return super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)

    def _checked(self, host: str, port: int) -> list[str]:
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError) as err:
            raise httpcore.ConnectError(f"cannot resolve {host}: {err}") from err
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no addresses")
        for address in addresses:
            if not self.allowed(ipaddress.ip_address(address)):
                raise UnsafeURLError(
                    f"{host} resolves to non-public address {address} "
                    "(set MONITOR_ALLOW_PRIVATE_NETWORKS=true to allow)"
                )
        return addresses


def guarded_transport(backend: GuardedBackend | None = None) -> httpx.HTTPTransport:
    """An httpx transport whose connections go through :class:`GuardedBackend`."""
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own
    transport = httpx.HTTPTransport(limits=limits)
    # httpx exposes no network backend option; swap its pool for one built the same way with
    # ours (the pool is closed with the transport, as before).
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=backend or GuardedBackend(),
    )
    return transport


class Fetcher:
    """Conditional GETs with limits; thread-safe (one pooled httpx client)."""

    def __init__(self, policy: FetchPolicy, transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        if transport is None and not policy.allow_private:
            transport = guarded_transport()
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()
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
            check_url(current)
            with self._host_slot(current):
                result, location = self._get(current, headers, deadline)
            if location is None:
                return result
            current = urljoin(current, location)
        raise FetchError(f"{url}: more than {self.policy.max_redirects} redirects")

    def post_form(self, url: str, form: dict[str, str]) -> int:
        """POST ``form`` (form-encoded) to ``url`` without following redirects; the status.

        The same guard and per-host limit as a fetch apply; FetchError on network failures.
        """
        check_url(url)
        try:
            with self._host_slot(url):
                response = self._client.post(url, data=form)
        except UnsafeURLError as err:
            raise UnsafeURLError(f"{url}: {err}") from err
        except httpx.HTTPError as err:
            raise FetchError(f"{url}: {err.__class__.__name__}: {err}") from err
        return response.status_code

    @contextmanager
    def _host_slot(self, url: str) -> Iterator[None]:
        """Hold one of the ``per_host`` request slots of ``url``'s host."""
        host = urlsplit(url).netloc.lower()
        with self._hosts_lock:
            slot = self._hosts.setdefault(host, threading.BoundedSemaphore(self.policy.per_host))
        with slot:
            yield

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
                    raise _status_error(url, response)
                content = self._read(url, response, deadline)
        except UnsafeURLError as err:
            raise UnsafeURLError(f"{url}: {err}") from err
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
        """The decoded body, inflated no further than the size cap (a 64 KB chunk of a gzip
        bomb would otherwise inflate to 64 MB in one step)."""
        limit = self.policy.max_bytes
        inflater = Inflater.for_encoding(url, response.headers.get("content-encoding", ""))
        body = bytearray()
        for raw in response.iter_raw():
            body += inflater.inflate(raw, limit - len(body) + 1) if inflater else raw
            if len(body) > limit:
                raise FetchError(f"{url}: response larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: took longer than {self.policy.timeout:g}s")
        return bytes(body)


class Inflater:
    """Bounded gzip/deflate decoding: never produces more than asked for per call."""

    def __init__(self, url: str, wbits: int) -> None:
        self.url = url
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)
        self._started = False

    @classmethod
    def for_encoding(cls, url: str, header: str) -> Inflater | None:
        encodings = [e.strip().lower() for e in header.split(",") if e.strip()]
        encodings = [e for e in encodings if e != "identity"]
        if not encodings:
            return None
        if encodings in (["gzip"], ["x-gzip"]):
            return cls(url, 16 + zlib.MAX_WBITS)
        if encodings == ["deflate"]:
            return cls(url, zlib.MAX_WBITS)
        raise FetchError(f"{url}: unsupported Content-Encoding {header!r} (asked for gzip)")

    def inflate(self, data: bytes, room: int) -> bytes:
        """Up to ``room`` bytes decoded from ``data`` (more input than that is left unread:
        the caller stops once the body passes its cap)."""
        try:
            out = self._z.decompress(data, room)
        except zlib.error as err:
            if self._wbits == zlib.MAX_WBITS and not self._started:
                # "deflate" sent without the zlib header, as some servers do.
                self._wbits, self._z = -zlib.MAX_WBITS, zlib.decompressobj(-zlib.MAX_WBITS)
                return self.inflate(data, room)
            raise FetchError(f"{self.url}: cannot decode the compressed body: {err}") from err
        self._started = True
        while self._z.eof and self._z.unused_data and len(out) < room:  # concatenated members
            rest = self._z.unused_data
            self._z = zlib.decompressobj(self._wbits)
            out += self._z.decompress(rest, room - len(out))
        return out


def _status_error(url: str, response: httpx.Response) -> FetchError:
    message = f"{url}: HTTP {response.status_code} {response.reason_phrase}"
    if response.status_code in _THROTTLED:
        retry_after = response.headers.get("retry-after")
        if retry_after:
            message += f" (Retry-After: {retry_after})"
        return ThrottledError(message, retry_after)
    return FetchError(message)


def etag_of(response: httpx.Response) -> str | None:
    etag: str | None = response.headers.get("etag")
    return etag
