"""user.registered and user.deactivated through the idempotent runner wrapper on MariaDB:
the customer projection, the cancellations a deactivation writes, redelivery, and the
two facts arriving in either order (or at once)."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import aiomysql

from order_service.domain import Order, OrderLine, OrderStatus
from order_service.service_layer import orders, queries
from shared.envelope import Envelope
from shared.events import OrderCancelledV1
from shared.service import UseCaseContext
from tests.integration.order_service.handler_support import (
    customer_of,
    processed,
    user_deactivated,
    user_registered,
)
from tests.integration.order_service.support import confirm
from tests.support.delivery import TRACEPARENT, deliver
from tests.support.outbox import outbox_envelopes

LINES = [OrderLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.50"))]


async def place(context: UseCaseContext, user_id: uuid.UUID) -> Order:
    return await orders.place_order(context, user_id=user_id, currency="EUR", lines=LINES)


async def status_of(context: UseCaseContext, order: Order) -> OrderStatus:
    return (await queries.get_order(context, order.id)).status


async def cancellations(pool: aiomysql.Pool) -> list[Envelope]:
    return [e for e in await outbox_envelopes(pool) if e.type == "order.cancelled"]


async def test_a_registration_records_an_active_customer(pool: aiomysql.Pool) -> None:
    user_id = uuid.uuid4()
    registration = user_registered(user_id, "ada@example.com")
    await deliver(pool, registration)
    assert await customer_of(pool, user_id) == ("ada@example.com", True)
    assert await processed(pool, registration.id) == ["orders.user-registered"]
    assert await outbox_envelopes(pool) == []


async def test_a_redelivered_registration_is_claimed_once_and_changes_nothing(
    pool: aiomysql.Pool,
) -> None:
    user_id = uuid.uuid4()
    registration = user_registered(user_id)
    await deliver(pool, registration)
    await deliver(pool, registration)
    assert await customer_of(pool, user_id) == ("ada@example.com", True)
    assert await processed(pool, registration.id) == ["orders.user-registered"]


async def test_a_deactivation_cancels_exactly_the_customers_pending_orders(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id, someone_else = uuid.uuid4(), uuid.uuid4()
    await deliver(pool, user_registered(user_id))
    first, second, confirmed = [await place(context, user_id) for _ in range(3)]
    await confirm(context, confirmed.id)
    others = await place(context, someone_else)

    deactivation = user_deactivated(user_id)
    await deliver(pool, deactivation)

    assert await customer_of(pool, user_id) == ("ada@example.com", False)
    assert [await status_of(context, o) for o in (first, second, confirmed, others)] == [
        OrderStatus.CANCELLED,
        OrderStatus.CANCELLED,
        OrderStatus.CONFIRMED,
        OrderStatus.PENDING,
    ]
    assert (await queries.get_order(context, first.id)).reason == "customer deactivated"
    written = await cancellations(pool)
    assert [envelope.subject for envelope in written] == [str(first.id), str(second.id)]
    for envelope in written:
        event = envelope.event()
        assert isinstance(event, OrderCancelledV1)
        assert (event.previous_status, event.reason) == ("pending", "customer deactivated")
        assert (event.user_id, event.total.amount) == (user_id, Decimal("25.00"))
        assert envelope.source == "urn:eda:order-service"
        assert envelope.causationid == deactivation.id
        assert envelope.correlationid == deactivation.correlationid == f"deactivate-{user_id}"
        assert envelope.traceparent == TRACEPARENT


async def test_a_redelivered_deactivation_cancels_nothing_more(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    order = await place(context, user_id)
    deactivation = user_deactivated(user_id)
    await deliver(pool, deactivation)
    await deliver(pool, deactivation)
    assert await status_of(context, order) is OrderStatus.CANCELLED
    assert len(await cancellations(pool)) == 1
    assert await processed(pool, deactivation.id) == ["orders.user-deactivated"]


async def test_deactivating_a_customer_without_pending_orders_writes_no_event(
    pool: aiomysql.Pool,
) -> None:
    user_id = uuid.uuid4()
    await deliver(pool, user_registered(user_id))
    await deliver(pool, user_deactivated(user_id))
    assert await customer_of(pool, user_id) == ("ada@example.com", False)
    assert await outbox_envelopes(pool) == []


async def test_registration_and_deactivation_end_the_same_in_either_order(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    in_order, reversed_ = uuid.uuid4(), uuid.uuid4()
    in_order_order, reversed_order = await place(context, in_order), await place(context, reversed_)

    await deliver(pool, user_registered(in_order, "ada@example.com"))
    await deliver(pool, user_deactivated(in_order))
    await deliver(pool, user_deactivated(reversed_))
    await deliver(pool, user_registered(reversed_, "ada@example.com"))

    # The late registration brings the email but never re-activates the customer.
    assert await customer_of(pool, in_order) == await customer_of(pool, reversed_)
    assert await customer_of(pool, reversed_) == ("ada@example.com", False)
    assert await status_of(context, in_order_order) is OrderStatus.CANCELLED
    assert await status_of(context, reversed_order) is OrderStatus.CANCELLED
    assert len(await cancellations(pool)) == 2


async def test_first_facts_about_new_users_handled_at_once_all_land(pool: aiomysql.Pool) -> None:
    users = [uuid.uuid4() for _ in range(4)]
    await asyncio.gather(
        *(deliver(pool, user_registered(user_id)) for user_id in users),
        *(deliver(pool, user_deactivated(user_id)) for user_id in users),
    )
    assert [await customer_of(pool, user_id) for user_id in users] == [
        ("ada@example.com", False)
    ] * len(users)
