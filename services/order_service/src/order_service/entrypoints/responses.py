"""Response bodies: amounts are decimal strings with two places, times are UTC."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, Field

from order_service.domain import Order, OrderStatus
from shared.db import Page

AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,11})\.[0-9]{2}$"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


class MoneyResponse(BaseModel):
    amount: str = Field(pattern=AMOUNT_PATTERN, examples=["25.00"])
    currency: str = Field(examples=["EUR"])


class OrderItemResponse(BaseModel):
    sku: str
    quantity: int
    unit_price: str = Field(pattern=AMOUNT_PATTERN, examples=["12.50"])


class OrderResponse(BaseModel):
    id: UUID
    user_id: UUID
    status: OrderStatus
    currency: str
    items: list[OrderItemResponse]
    total: MoneyResponse
    created_at: datetime
    updated_at: datetime
    reason: str | None = Field(description="Why the order was rejected or cancelled")

    @classmethod
    def of(cls, order: Order) -> OrderResponse:
        return cls(
            id=order.id,
            user_id=order.user_id,
            status=order.status,
            currency=order.currency,
            items=[
                OrderItemResponse(
                    sku=line.sku, quantity=line.quantity, unit_price=_amount(line.unit_price)
                )
                for line in order.lines
            ],
            total=MoneyResponse(amount=_amount(order.total), currency=order.currency),
            created_at=order.created_at,
            updated_at=order.updated_at,
            reason=order.reason,
        )


class OrderPageResponse(BaseModel):
    items: list[OrderResponse]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null at end")

    @classmethod
    def of(cls, page: Page[Order]) -> OrderPageResponse:
        return cls(
            items=[OrderResponse.of(order) for order in page.items], next_cursor=page.next_cursor
        )
