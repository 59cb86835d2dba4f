"""Events and handlers the contract cases use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import aiomysql

from shared.db import UnitOfWork
from shared.envelope import Envelope, wrap
from shared.events import Event, Money, OrderConfirmedV1, OrderPlacedV1
from shared.events.orders import OrderLine
from shared.messaging import Handler

EVENT_TYPE = OrderConfirmedV1.event_type

EFFECTS_DDL = """
CREATE TABLE effects (
    id BIGINT AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(255) NOT NULL,
    subject CHAR(36) NOT NULL
) ENGINE=InnoDB
"""


def order_confirmed(order_id: uuid.UUID | None = None, amount: str = "10.00") -> Envelope:
    event = OrderConfirmedV1(
        order_id=order_id or uuid.uuid4(),
        user_id=uuid.uuid4(),
        total=Money(amount=Decimal(amount), currency="EUR"),
        confirmed_at=datetime.now(UTC),
    )
    return wrap(event, source="urn:eda:contract-tests")


def recording_handler(event_type: type[Event] | None = None) -> tuple[list[str], Handler]:
    """The list of the ids of the events handled, in order, and the handler recording
    them (which checks that each is an ``event_type``, when given)."""
    handled: list[str] = []

    async def record(event: Event, envelope: Envelope) -> None:
        if event_type is not None:
            assert isinstance(event, event_type)
        handled.append(envelope.id)

    return handled, record


async def create_tables(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        await uow.execute(EFFECTS_DDL)
        await uow.commit()


async def record_effect(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    await uow.execute(
        "INSERT INTO effects (event_id, subject) VALUES (%s, %s)", (envelope.id, envelope.subject)
    )


async def effect_counts(pool: aiomysql.Pool) -> dict[str, int]:
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall("SELECT event_id, COUNT(*) FROM effects GROUP BY event_id")
    return {str(event_id): int(count) for event_id, count in rows}


SUBSCRIBED = OrderPlacedV1.event_type


POISON_SOURCE = "urn:eda:poison-tests"


def order_placed(order_id: uuid.UUID, user_id: uuid.UUID, quantity: int = 2) -> Envelope:
    price = Money(amount=Decimal("12.50"), currency="EUR")
    event = OrderPlacedV1(
        order_id=order_id,
        user_id=user_id,
        items=[OrderLine(sku="BOOK-1", quantity=quantity, unit_price=price)],
        total=Money(amount=price.amount * quantity, currency="EUR"),
        placed_at=datetime.now(UTC),
    )
    return wrap(event, source=POISON_SOURCE)
