"""Errors of the use cases, besides the domain's own."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID


class OrderNotFoundError(LookupError):
    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class CustomerNotYetKnownError(LookupError):
    """An order's customer has not been registered here yet; it may still be."""

    def __init__(self, user_id: UUID, remaining: timedelta) -> None:
        super().__init__(
            f"customer {user_id} is not known yet; waiting up to"
            f" {remaining.total_seconds():.1f}s more before rejecting"
        )
        self.user_id = user_id
        self.remaining = remaining
