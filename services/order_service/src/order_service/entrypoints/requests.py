"""Request bodies of the HTTP API, bounded in every length and value."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from order_service.domain import OrderLine
from order_service.domain.order import MAX_LINES, MAX_REASON_LENGTH
from order_service.domain.order_line import MAX_AMOUNT, MAX_QUANTITY
from order_service.service_layer.orders import CUSTOMER_CANCELLATION

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")]
Price = Annotated[
    Decimal,
    Field(
        ge=0,
        max_digits=14,
        decimal_places=2,
        description='A decimal string such as "12.50" (preferred) or a JSON number',
    ),
]


class OrderItemRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
    unit_price: Price

    def to_line(self) -> OrderLine:
        return OrderLine(sku=self.sku, quantity=self.quantity, unit_price=self.unit_price)


class PlaceOrderRequest(BaseModel):
    """The total is the server's to compute: a ``total`` field is rejected, not ignored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "user_id": "0b6f3c2e-6a55-4a8e-9a57-2f4f5d7f8e11",
                    "currency": "EUR",
                    "items": [{"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"}],
                }
            ]
        },
    )

    user_id: UUID
    currency: Currency
    items: Annotated[list[OrderItemRequest], Field(min_length=1, max_length=MAX_LINES)]

    @model_validator(mode="after")
    def _total_fits(self) -> Self:
        total = sum((item.unit_price * item.quantity for item in self.items), start=Decimal(0))
        if total > MAX_AMOUNT:
            raise ValueError(f"the order's total {total} is above {MAX_AMOUNT}")
        return self


class CancelOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON_LENGTH)] = (
        CUSTOMER_CANCELLATION
    )
