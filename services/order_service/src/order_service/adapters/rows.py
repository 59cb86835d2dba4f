"""Conversions between database rows and domain objects.

MySQL DATETIME carries no zone: the service writes UTC and reads it back as UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from order_service.domain import Customer, Order, OrderLine, OrderStatus


def to_db_time(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db_time(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def line_from_row(row: Sequence[Any]) -> OrderLine:
    sku, quantity, unit_price = row
    return OrderLine(sku=sku, quantity=int(quantity), unit_price=unit_price)


def order_from_row(row: Sequence[Any], lines: Sequence[OrderLine]) -> Order:
    """``row`` holds the columns the repository selects, in its order."""
    order_id, user_id, status, currency, reason, created_at, updated_at = row
    return Order(
        id=UUID(order_id),
        user_id=UUID(user_id),
        currency=currency,
        lines=tuple(lines),
        status=OrderStatus(status),
        created_at=from_db_time(created_at),
        updated_at=from_db_time(updated_at),
        reason=reason,
    )


def customer_from_row(row: Sequence[Any]) -> Customer:
    user_id, email, active, updated_at, identity_key = row
    return Customer(
        user_id=UUID(user_id),
        email=email,
        active=bool(active),
        updated_at=from_db_time(updated_at),
        identity_key=identity_key,
    )
