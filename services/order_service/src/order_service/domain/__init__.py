"""The orders context's model: pure, no I/O; transitions return the events they raise."""

from order_service.domain.errors import DomainError, IllegalTransitionError, InvalidOrderError
from order_service.domain.order import Order, OrderStatus
from order_service.domain.order_line import OrderLine

__all__ = [
    "DomainError",
    "IllegalTransitionError",
    "InvalidOrderError",
    "Order",
    "OrderLine",
    "OrderStatus",
]
