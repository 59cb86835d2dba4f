"""Map failures to JSON responses: 422 per field, 404, 409, 503 with Retry-After,
and 500 without a stack trace. Services raise the domain-neutral errors below."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pymysql
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from shared.db.pool import ConnectionAcquireTimeout

log = logging.getLogger(__name__)

RETRY_AFTER_S = 2


class NotFoundError(Exception):
    pass


class ConflictError(Exception):
    pass


class DependencyUnavailableError(Exception):
    """A database or broker the request needs cannot be reached right now."""


# Connection-level failures of MySQL; anything else from the driver is a bug (500).
_MYSQL_UNAVAILABLE_CODES = {1040, 1205, 1213, 2003, 2006, 2013}


def is_unavailable(exc: BaseException) -> bool:
    """A failure that means the database cannot be reached now: a 503, not a 500."""
    if isinstance(exc, pymysql.err.OperationalError):
        return bool(exc.args) and exc.args[0] in _MYSQL_UNAVAILABLE_CODES
    return isinstance(exc, OSError | TimeoutError | DependencyUnavailableError)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(NotFoundError, _status(404))
    app.add_exception_handler(ConflictError, _status(409))
    app.add_exception_handler(DependencyUnavailableError, _unavailable)
    app.add_exception_handler(ConnectionAcquireTimeout, _database_busy)
    app.add_exception_handler(pymysql.err.OperationalError, _mysql_operational)
    app.add_exception_handler(OSError, _unavailable)
    app.add_exception_handler(TimeoutError, _unavailable)
    app.add_exception_handler(Exception, _internal)


def install_domain_error_handlers(
    app: FastAPI, answers: Mapping[type[Exception], int | str]
) -> None:
    """A service's own errors as answers: a status code (the message as ``detail``), or a
    field name for a 422 that names it, shaped like a request validation failure."""
    for error, answer in answers.items():
        app.add_exception_handler(
            error, _status(answer) if isinstance(answer, int) else _invalid_field(answer)
        )


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(part) for part in error["loc"] if part != "body") or "body",
            "message": str(error["msg"]),
        }
        for error in errors
    ]


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(
        {"detail": "invalid request", "errors": field_errors(exc.errors())}, status_code=422
    )


def _invalid_field(field: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def respond(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "invalid request", "errors": [{"field": field, "message": str(exc)}]},
            status_code=422,
        )

    return respond


def _status(code: int) -> Any:
    async def respond(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return respond


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("dependency unavailable for %s %s: %s", request.method, request.url.path, exc)
    return _retry_later("a dependency is unavailable; retry later")


async def _database_busy(request: Request, exc: Exception) -> JSONResponse:
    """Every pooled connection stayed busy for EDA_MYSQL__ACQUIRE_TIMEOUT_S: the service is
    overloaded, not broken. Answered at once rather than queued without bound."""
    log.warning("database busy for %s %s: %s", request.method, request.url.path, exc)
    return _retry_later("the database is busy; retry later")


def _retry_later(detail: str) -> JSONResponse:
    return JSONResponse(
        {"detail": detail}, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)}
    )


async def _mysql_operational(request: Request, exc: Exception) -> JSONResponse:
    code = exc.args[0] if exc.args else None
    if code in _MYSQL_UNAVAILABLE_CODES:
        return await _unavailable(request, exc)
    return await _internal(request, exc)


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error for %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)
