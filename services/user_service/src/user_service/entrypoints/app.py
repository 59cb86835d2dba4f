"""The FastAPI application; its lifespan owns the pool, the publisher and the relay task."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from shared.http.auth import install_bearer_auth
from shared.http.errors import install_error_handlers
from shared.http.health import health_router
from shared.http.limits import BodySizeLimit
from shared.http.observability import observe
from user_service.bootstrap import (
    Runtime,
    UserServiceSettings,
    load_user_service_settings,
    start_runtime,
)
from user_service.bootstrap.settings import SERVICE_NAME
from user_service.entrypoints.users_api import router as users_router


def create_app(settings: UserServiceSettings | None = None, *, run_relay: bool = True) -> FastAPI:
    """``run_relay=False`` leaves outbox rows unpublished: for tests without brokers."""
    settings = settings or load_user_service_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings)
        if run_relay:
            runtime.start_relay()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.close()

    app = FastAPI(title=SERVICE_NAME, version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    install_bearer_auth(app, settings.platform.auth)
    app.add_middleware(BodySizeLimit, max_bytes=settings.service.max_body_bytes)

    def runtime() -> Runtime:
        started: Runtime = app.state.runtime
        return started

    async def database() -> bool:
        return await runtime().database_ready()

    async def outbox_relay() -> bool:
        return await runtime().relay_running()

    app.include_router(health_router({"database": database, "outbox_relay": outbox_relay}))

    observe(app)
    app.include_router(users_router)
    return app
