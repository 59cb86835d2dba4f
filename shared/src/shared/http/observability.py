"""``/metrics`` on every HTTP app, and server spans for its requests when tracing is on."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.telemetry.tracing import tracer

UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def observe(app: FastAPI) -> None:
    """Serve ``/metrics``; with tracing on, one SERVER span per request (probes and
    scrapes excluded), without the per-chunk receive/send spans."""
    app.include_router(metrics_router())
    if tracer() is None:
        return
    # Imported here: the instrumentation is only loaded in processes that trace.
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )
