"""Domain failures as what the subscriber runner does with the message: retry or dead-letter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from shared.errors import PermanentError, TransientError
from user_service.domain.errors import (
    ConflictingOrderFactsError,
    OrderStatsError,
    UserNotFoundError,
)


@contextmanager
def domain_errors_as_delivery_outcomes() -> Iterator[None]:
    """Database errors pass through: the runner retries them like transient ones."""
    try:
        yield
    except UserNotFoundError as exc:
        # This service writes the user before any order of theirs can exist, so an
        # unknown user means a bad id: retried in case, dead-lettered once retries run out.
        raise TransientError(f"{exc} in this service's database") from exc
    except (ConflictingOrderFactsError, OrderStatsError) as exc:
        raise PermanentError(str(exc)) from exc
