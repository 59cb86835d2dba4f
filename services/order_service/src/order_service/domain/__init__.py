"""The orders context's model: pure, no I/O; transitions return the events they raise."""

from order_service.domain.acceptance import Accept, Reject, Verdict, WaitForCustomer
from order_service.domain.customer import Customer
from order_service.domain.errors import (
    DomainError,
    IllegalTransitionError,
    InvalidCustomerError,
    InvalidOrderError,
)
from order_service.domain.order import Order, OrderStatus
from order_service.domain.order_line import OrderLine

__all__ = [
    "Accept",
    "Customer",
    "DomainError",
    "IllegalTransitionError",
    "InvalidCustomerError",
    "InvalidOrderError",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Reject",
    "Verdict",
    "WaitForCustomer",
]
