"""Domain failures as the shared HTTP errors (404, 409, 422)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.exceptions import RequestValidationError

from shared.http.errors import ConflictError, NotFoundError
from user_service.domain.errors import UserConflictError, UserNotFoundError
from user_service.service_layer.pagination import InvalidCursorError


@contextmanager
def domain_errors_as_http() -> Iterator[None]:
    """Database and unexpected errors pass through to the shared handlers (503, 500)."""
    try:
        yield
    except UserNotFoundError as exc:
        raise NotFoundError(str(exc)) from exc
    except UserConflictError as exc:
        raise ConflictError(str(exc)) from exc
    except InvalidCursorError as exc:
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("query", "cursor"), "msg": str(exc)}]
        ) from exc
