"""Order events as the orders context sends them, delivered the way the subscriber runner
does: through ``idempotent`` with this service's handler and subscriber name."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal
from uuid import UUID

import aiomysql

from shared.db.idempotency import idempotent
from shared.envelope import Envelope, wrap
from shared.events import Event, Money, OrderCancelledV1, OrderConfirmedV1, OrderRejectedV1
from shared.settings import load_settings
from user_service.bootstrap.settings import SOURCE
from user_service.entrypoints.event_handlers import SUBSCRIPTIONS, event_handlers

ORDER_SERVICE = "urn:eda:order-service"
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


def envelope_of(event: Event) -> Envelope:
    return wrap(
        event,
        source=ORDER_SERVICE,
        correlation_id="corr-1",
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    )


async def deliver(pool: aiomysql.Pool, event: Event, envelope: Envelope | None = None) -> Envelope:
    """Handle one delivery; a new envelope (a distinct message) unless one is given."""
    envelope = envelope or envelope_of(event)
    handlers = event_handlers(load_settings(source=SOURCE))
    handle = idempotent(pool, SUBSCRIPTIONS[event.event_type], handlers[event.event_type])
    await handle(event, envelope)
    return envelope
