"""``GET /metrics``: Prometheus metrics (counters, stage latencies, queue gauges)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from monitor.clock import Clock
from monitor.metrics import StatusCollector
from monitor.store import Repository


def metrics_router(repository: Repository, clock: Clock) -> APIRouter:
    """The route Prometheus scrapes; queue gauges are read from ``repository`` each time."""
    queues = CollectorRegistry(auto_describe=True)  # per app: tests build several
    queues.register(StatusCollector(lambda: repository.status(clock())))
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        body = generate_latest(REGISTRY) + generate_latest(queues)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
