"""The FastAPI application; its lifespan owns the runtime (pool, publisher, relay)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from order_service.bootstrap import OrderServiceRuntime, bootstrap, with_service_defaults
from order_service.config import SERVICE_NAME, ServiceSettings, load_service_settings
from order_service.entrypoints.errors import install_order_error_handlers
from order_service.entrypoints.routes import router
from shared.http.auth import install_bearer_auth
from shared.http.errors import install_error_handlers
from shared.http.health import health_router
from shared.http.limits import BodySizeLimit
from shared.http.observability import observe
from shared.settings import AuthSettings, load_settings

RuntimeFactory = Callable[[], Awaitable[OrderServiceRuntime]]


def create_app(
    service_settings: ServiceSettings,
    start: RuntimeFactory,
    *,
    run_relay: bool = True,
    auth: AuthSettings | None = None,
) -> FastAPI:
    """``start`` builds the runtime when the app starts; tests pass ``run_relay=False``.
    Without ``auth`` (the ``EDA_AUTH__*`` group) requests are not authenticated."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start()
        app.state.runtime = runtime
        if run_relay:
            runtime.start_relay()
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(
        title=SERVICE_NAME,
        version="1",
        summary="Orders: place, read, list and cancel; events through the outbox",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    install_order_error_handlers(app)
    install_bearer_auth(app, auth or AuthSettings())
    app.add_middleware(BodySizeLimit, max_bytes=service_settings.max_body_bytes)
    app.include_router(router)

    async def database() -> bool:
        runtime: OrderServiceRuntime = app.state.runtime
        return await runtime.database_ready()

    async def outbox_relay() -> bool:
        runtime: OrderServiceRuntime = app.state.runtime
        return await runtime.relay_running()

    app.include_router(health_router({"database": database, "outbox_relay": outbox_relay}))

    observe(app)
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory order_service.entrypoints.app:app_from_environment``."""
    settings = with_service_defaults(load_settings())
    return create_app(load_service_settings(), partial(bootstrap, settings), auth=settings.auth)
