"""The subscriber's small HTTP side: /healthz and /readyz, served beside the consumer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import uvicorn
from fastapi import FastAPI

from shared.http.health import ReadinessCheck, health_router
from shared.http.observability import observe


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal handling: the subscriber process owns SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_server(checks: Mapping[str, ReadinessCheck], host: str, port: int) -> uvicorn.Server:
    app = FastAPI(title="subscriber", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health_router(checks))
    observe(app)
    config = uvicorn.Config(app, host=host, port=port, lifespan="off", log_level="warning")
    return _EmbeddedServer(config)
