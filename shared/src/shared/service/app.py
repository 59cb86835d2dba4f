"""The FastAPI application of a service: its lifespan owns the runtime (pool,
publisher, relay), and every service answers errors, authenticates, limits bodies
and reports health and metrics the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Protocol

from fastapi import APIRouter, FastAPI

from shared.db.keyset import InvalidCursorError
from shared.http.auth import install_bearer_auth
from shared.http.errors import install_domain_error_handlers, install_error_handlers
from shared.http.health import health_router
from shared.http.limits import BodySizeLimit
from shared.http.observability import observe
from shared.http.request_metrics import RequestMetrics, RouteRecorder
from shared.service.idempotency_keys import IdempotencyKeys, describe_idempotency_keys, purging_keys
from shared.service.runtime import ServiceRuntime, start_runtime
from shared.service.settings import ServiceSettings

API_VERSION = "1"

RuntimeFactory = Callable[[], Awaitable[ServiceRuntime]]


class AppFactory(Protocol):
    def __call__(
        self,
        settings: ServiceSettings | None = None,
        *,
        start: RuntimeFactory | None = None,
        run_relay: bool = True,
    ) -> FastAPI: ...


def app_factory(
    load_settings: Callable[[], ServiceSettings],
    *,
    routers: Sequence[APIRouter],
    errors: Mapping[type[Exception], int | str],
) -> AppFactory:
    """A service's ``create_app``: its routes and errors on the shared app, with settings
    read by ``load_settings`` where none are given."""

    def create_app(
        settings: ServiceSettings | None = None,
        *,
        start: RuntimeFactory | None = None,
        run_relay: bool = True,
    ) -> FastAPI:
        return create_service_app(
            settings or load_settings(),
            routers=routers,
            errors=errors,
            start=start,
            run_relay=run_relay,
        )

    return create_app


def create_service_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter],
    errors: Mapping[type[Exception], int | str],
    start: RuntimeFactory | None = None,
    run_relay: bool = True,
) -> FastAPI:
    """``errors`` maps the service's own exceptions to a status code, or to the field a
    422 names. ``start`` builds the runtime when the app starts (default: from
    ``settings``). ``run_relay=False`` leaves outbox rows unpublished, for tests
    without brokers."""
    start = start or partial(start_runtime, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start()
        app.state.runtime = runtime
        if run_relay:
            runtime.start_relay()
        try:
            async with purging_keys(runtime.pool, settings.platform.idempotency):
                yield
        finally:
            await runtime.close()

    service = settings.service
    app = FastAPI(
        title=service.name, version=API_VERSION, summary=service.summary, lifespan=lifespan
    )
    install_error_handlers(app)
    install_domain_error_handlers(app, {InvalidCursorError: "query.cursor", **errors})
    auth = install_bearer_auth(app, settings.platform.auth)

    def runtime() -> ServiceRuntime:
        started: ServiceRuntime = app.state.runtime
        return started

    describe_idempotency_keys(app)
    app.add_middleware(RouteRecorder)  # added first, so innermost: it sees the route chosen
    # Inside the body limit: the key's fingerprint reads a body the limit already bounds.
    app.add_middleware(IdempotencyKeys, caller_of=auth.subject_of, runtime=runtime)
    app.add_middleware(BodySizeLimit, max_bytes=settings.http.max_body_bytes)
    for router in routers:
        app.include_router(router)

    async def database() -> bool:
        return await runtime().database_ready()

    async def outbox_relay() -> bool:
        return await runtime().relay_running()

    app.include_router(health_router({"database": database, "outbox_relay": outbox_relay}))
    observe(app, metrics=settings.http.metrics_port is None)
    # Added last, so outermost: it sees the responses every other middleware sends.
    app.add_middleware(RequestMetrics, service=service.name, templates=partial(_templates, app))
    return app


def _templates(app: FastAPI) -> list[str]:
    """Every documented route template, prefixes of included routers resolved (the
    OpenAPI document's paths), and the app's own top-level routes. Routes left out of
    the document (probes, scrapes) are known from the router when they answer."""
    top_level = [getattr(route, "path", None) for route in app.routes]
    return [*app.openapi().get("paths", {}), *(path for path in top_level if isinstance(path, str))]
