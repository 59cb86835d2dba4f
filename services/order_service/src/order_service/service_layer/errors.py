"""Errors of the use cases, besides the domain's own."""

from __future__ import annotations

from uuid import UUID


class OrderNotFoundError(LookupError):
    def __init__(self, order_id: UUID) -> None:
        super().__init__(f"order {order_id} not found")
        self.order_id = order_id


class InvalidCursorError(ValueError):
    """A page cursor that this service did not hand out."""
