"""``GET /metrics``: Prometheus metrics (counters, stage latencies, queue gauges).

Only requests from the allowed networks (default: loopback) or carrying the bearer token may
read them: queue sizes and error counts say more about a newsroom than it may want to tell.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from monitor.clock import Clock
from monitor.metrics import StatusCollector
from monitor.store import Repository

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)


@dataclass(frozen=True)
class MetricsAccess:
    """Who may read ``/metrics``: clients in ``networks``, or with the bearer ``token``."""

    networks: tuple[Network, ...] = LOOPBACK
    token: str | None = None

    @classmethod
    def of(cls, networks: str, token: str | None) -> MetricsAccess:
        """From the settings' comma-separated networks (checked when settings load)."""
        parts = (p.strip() for p in networks.split(","))
        return cls(tuple(ipaddress.ip_network(p, strict=False) for p in parts if p), token or None)

    def allows(self, client: str | None, authorization: str | None) -> bool:
        if self.token and authorization:
            scheme, _, given = authorization.partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), self.token.encode()
            ):
                return True
        try:
            address = ipaddress.ip_address(client or "")
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


def metrics_router(
    repository: Repository, clock: Clock, access: MetricsAccess = MetricsAccess()
) -> APIRouter:
    """The route Prometheus scrapes; queue gauges are read from ``repository`` each time."""
    queues = CollectorRegistry(auto_describe=True)  # per app: tests build several
    queues.register(StatusCollector(lambda: repository.status(clock())))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        client = request.client.host if request.client else None
        if not access.allows(client, request.headers.get("authorization")):
            raise HTTPException(403, "metrics are readable from allowed addresses or with a token")
        body = generate_latest(REGISTRY) + generate_latest(queues)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
