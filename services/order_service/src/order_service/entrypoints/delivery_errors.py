"""The orders context's failures as what the subscriber runner does with the message:
retry or dead-letter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from order_service.service_layer.errors import CustomerNotYetKnownError, OrderNotFoundError
from shared.errors import PermanentError, TransientError


@contextmanager
def domain_errors_as_delivery_outcomes() -> Iterator[None]:
    """Database errors pass through: the runner retries them like transient ones."""
    try:
        yield
    except CustomerNotYetKnownError as exc:
        raise TransientError(str(exc)) from exc
    except OrderNotFoundError as exc:
        raise PermanentError(f"{exc}: the event names no order stored here") from exc
