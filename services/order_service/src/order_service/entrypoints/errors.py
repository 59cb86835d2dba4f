"""HTTP answers for the order-service's own errors, shaped like the shared handlers'."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from order_service.domain import IllegalTransitionError, InvalidOrderError
from order_service.service_layer.errors import InvalidCursorError, OrderNotFoundError


def install_order_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OrderNotFoundError, _not_found)
    app.add_exception_handler(IllegalTransitionError, _conflict)
    app.add_exception_handler(InvalidOrderError, _invalid("body"))
    app.add_exception_handler(InvalidCursorError, _invalid("query.cursor"))


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


async def _conflict(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


def _invalid(field: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def respond(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "invalid request", "errors": [{"field": field, "message": str(exc)}]},
            status_code=422,
        )

    return respond
