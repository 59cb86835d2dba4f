"""The user-service's own errors as HTTP answers; the shared ones (422, 503, 500) are
answered by ``shared.http.errors``."""

from __future__ import annotations

from collections.abc import Mapping

from user_service.domain.errors import (
    InvalidIdentityError,
    UserConflictError,
    UserNotFoundError,
)

HTTP_ANSWERS: Mapping[type[Exception], int | str] = {
    InvalidIdentityError: 422,
    UserNotFoundError: 404,
    UserConflictError: 409,
}
