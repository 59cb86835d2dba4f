"""The Order aggregate: its invariants and status transitions.

Orders are immutable values: a transition returns the changed order together with
the event it raises, and the caller persists both in one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from order_service.domain.errors import IllegalTransitionError, InvalidOrderError
from order_service.domain.order_line import MAX_AMOUNT, OrderLine
from shared.events import (
    Money,
    OrderCancelledV1,
    OrderConfirmedV1,
    OrderPlacedV1,
    OrderRejectedV1,
)
from shared.events import OrderLine as EventLine

CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_LINES = 100
MAX_REASON_LENGTH = 500


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


_ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.CONFIRMED, OrderStatus.REJECTED, OrderStatus.CANCELLED}
    ),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True, slots=True)
class Order:
    id: UUID
    user_id: UUID
    currency: str
    lines: tuple[OrderLine, ...]
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    reason: str | None = None

    def __post_init__(self) -> None:
        if not CURRENCY.match(self.currency):
            raise InvalidOrderError(f"currency {self.currency!r} is not an ISO 4217 code")
        if not 1 <= len(self.lines) <= MAX_LINES:
            raise InvalidOrderError(f"an order has 1..{MAX_LINES} lines, not {len(self.lines)}")
        if self.total > MAX_AMOUNT:
            raise InvalidOrderError(f"total {self.total} is above {MAX_AMOUNT}")
        for moment in (self.created_at, self.updated_at):
            if moment.tzinfo is None:
                raise InvalidOrderError("order times must be timezone-aware")

    @property
    def total(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), start=Decimal("0.00"))

    @property
    def total_money(self) -> Money:
        return Money(amount=self.total, currency=self.currency)

    @classmethod
    def place(
        cls,
        *,
        order_id: UUID,
        user_id: UUID,
        currency: str,
        lines: Sequence[OrderLine],
        at: datetime,
    ) -> tuple[Order, OrderPlacedV1]:
        order = cls(order_id, user_id, currency, tuple(lines), OrderStatus.PENDING, at, at)
        event = OrderPlacedV1(
            order_id=order.id,
            user_id=order.user_id,
            items=[
                EventLine(
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=Money(amount=line.unit_price, currency=currency),
                )
                for line in order.lines
            ],
            total=order.total_money,
            placed_at=at,
        )
        return order, event

    def confirm(self, *, at: datetime) -> tuple[Order, OrderConfirmedV1]:
        order = self._moved_to(OrderStatus.CONFIRMED, None, at)
        event = OrderConfirmedV1(
            order_id=self.id, user_id=self.user_id, total=self.total_money, confirmed_at=at
        )
        return order, event

    def reject(self, reason: str, *, at: datetime) -> tuple[Order, OrderRejectedV1]:
        reason = _checked(reason)
        order = self._moved_to(OrderStatus.REJECTED, reason, at)
        event = OrderRejectedV1(
            order_id=self.id, user_id=self.user_id, reason=reason, rejected_at=at
        )
        return order, event

    def cancel(self, reason: str, *, at: datetime) -> tuple[Order, OrderCancelledV1]:
        reason = _checked(reason)
        order = self._moved_to(OrderStatus.CANCELLED, reason, at)
        event = OrderCancelledV1(
            order_id=self.id,
            user_id=self.user_id,
            total=self.total_money,
            previous_status=self.status.value,
            reason=reason,
            cancelled_at=at,
        )
        return order, event

    def _moved_to(self, status: OrderStatus, reason: str | None, at: datetime) -> Order:
        if status not in _ALLOWED[self.status]:
            raise IllegalTransitionError(
                f"order {self.id} is {self.status.value}; it cannot become {status.value}"
            )
        return replace(self, status=status, reason=reason, updated_at=at)


def _checked(reason: str) -> str:
    reason = reason.strip()
    if not 1 <= len(reason) <= MAX_REASON_LENGTH:
        raise InvalidOrderError(f"a reason has 1..{MAX_REASON_LENGTH} characters")
    return reason
