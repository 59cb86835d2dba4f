"""``/metrics`` on every HTTP app (or on a port of its own), and server spans for its
requests when tracing is on."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server

from shared.telemetry.tracing import tracer

UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


class MetricsPortError(OSError):
    """The port of EDA_METRICS_PORT cannot be listened on."""


def serve_metrics(host: str, port: int) -> None:
    """``/metrics`` on ``host:port`` from a thread of its own (prometheus_client's
    server), for the life of the process."""
    try:
        start_http_server(port, addr=host)
    except OSError as exc:
        raise MetricsPortError(
            f"cannot serve metrics on {host}:{port} (EDA_METRICS_PORT): {exc.strerror or exc}"
        ) from None


def observe(app: FastAPI, *, metrics: bool = True) -> None:
    """Serve ``/metrics`` unless ``metrics`` is False (served on a port of its own); with
    tracing on, one SERVER span per request (probes and scrapes excluded), without the
    per-chunk receive/send spans."""
    if metrics:
        app.include_router(metrics_router())
    if tracer() is None:
        return
    # Imported here: the instrumentation is only loaded in processes that trace.
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # noqa: PLC0415

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=UNTRACED_PATHS, exclude_spans=["receive", "send"]
    )
