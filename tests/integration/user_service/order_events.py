"""Order events as the orders context sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

from shared.events import Money, OrderCancelledV1, OrderConfirmedV1, OrderRejectedV1

AT = datetime(2026, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(amount=Decimal(amount), currency=currency)


def confirmed(user_id: UUID, order_id: UUID, total: Money) -> OrderConfirmedV1:
    return OrderConfirmedV1(order_id=order_id, user_id=user_id, total=total, confirmed_at=AT)


def cancelled(
    user_id: UUID,
    order_id: UUID,
    total: Money,
    previous_status: Literal["pending", "confirmed"] = "confirmed",
) -> OrderCancelledV1:
    return OrderCancelledV1(
        order_id=order_id,
        user_id=user_id,
        total=total,
        previous_status=previous_status,
        reason="customer changed their mind",
        cancelled_at=AT,
    )


def rejected(user_id: UUID, order_id: UUID, reason: str = "customer inactive") -> OrderRejectedV1:
    return OrderRejectedV1(order_id=order_id, user_id=user_id, reason=reason, rejected_at=AT)
