"""Events raised by the orders context."""

from __future__ import annotations

from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.events.base import Event, Money
from shared.events.registry import register

Sku = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class OrderLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    sku: Sku
    quantity: Annotated[int, Field(gt=0, le=10_000)]
    unit_price: Money


class _OrderEvent(Event):
    order_id: UUID
    user_id: UUID

    @property
    def aggregate_id(self) -> str:
        return str(self.order_id)


@register
class OrderPlacedV1(_OrderEvent):
    event_type = "order.placed"
    version = 1

    items: Annotated[list[OrderLine], Field(min_length=1, max_length=100)]
    total: Money
    placed_at: AwareDatetime

    @model_validator(mode="after")
    def _total_matches_items(self) -> Self:
        if any(line.unit_price.currency != self.total.currency for line in self.items):
            raise ValueError("every item must be priced in the order's currency")
        expected = sum((line.unit_price.amount * line.quantity for line in self.items), start=0)
        if expected != self.total.amount:
            raise ValueError(f"total {self.total.amount} does not equal the items' sum {expected}")
        return self


@register
class OrderConfirmedV1(_OrderEvent):
    event_type = "order.confirmed"
    version = 1

    total: Money
    confirmed_at: AwareDatetime


@register
class OrderRejectedV1(_OrderEvent):
    event_type = "order.rejected"
    version = 1

    reason: Reason
    rejected_at: AwareDatetime


@register
class OrderCancelledV1(_OrderEvent):
    event_type = "order.cancelled"
    version = 1

    total: Money
    previous_status: Literal["pending", "confirmed"]
    reason: Reason
    cancelled_at: AwareDatetime
