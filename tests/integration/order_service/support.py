"""Request bodies, and orders settled as the handlers settle them, for the order-service's
integration tests."""

from __future__ import annotations

import uuid
from typing import Any

from order_service.domain import Order
from order_service.service_layer import transitions
from order_service.service_layer.causation import Causation
from shared.service import UseCaseContext


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": str(uuid.uuid4()),
        "currency": "EUR",
        "items": [
            {"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"},
            {"sku": "PEN_2", "quantity": 3, "unit_price": 0.1},
        ],
    }
    body.update(overrides)
    return body


async def confirm(
    context: UseCaseContext, order_id: uuid.UUID, causation: Causation | None = None
) -> Order:
    """Confirm as the order.placed handler does: ``apply_in`` inside one unit of work."""
    return await _settle(
        context, order_id, lambda order: order.confirm(at=context.clock()), causation
    )


async def reject(
    context: UseCaseContext, order_id: uuid.UUID, reason: str, causation: Causation | None = None
) -> Order:
    """Reject as the order.placed handler does: ``apply_in`` inside one unit of work."""
    return await _settle(
        context, order_id, lambda order: order.reject(reason, at=context.clock()), causation
    )


async def _settle(
    context: UseCaseContext,
    order_id: uuid.UUID,
    transition: transitions.Transition,
    causation: Causation | None,
) -> Order:
    async with context.unit_of_work() as uow:
        order = await transitions.apply_in(
            uow, order_id, transition, causation or Causation(context.source)
        )
        await uow.commit()
    return order
