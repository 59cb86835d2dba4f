"""The order-service's own errors as HTTP answers; the shared ones (422, 503, 500) are
answered by ``shared.http.errors``."""

from __future__ import annotations

from collections.abc import Mapping

from order_service.domain import IllegalTransitionError, InvalidOrderError
from order_service.service_layer.errors import OrderNotFoundError

HTTP_ANSWERS: Mapping[type[Exception], int | str] = {
    OrderNotFoundError: 404,
    IllegalTransitionError: 409,
    InvalidOrderError: "body",
}
