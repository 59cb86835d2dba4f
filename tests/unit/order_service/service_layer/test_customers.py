"""Reactions to the users context: the customer projection learns each fact once, and
a deactivation cancels the customer's pending orders, naming the deactivation as cause."""

from __future__ import annotations

import uuid
from datetime import timedelta

from order_service.domain import Customer, Order, OrderStatus
from order_service.service_layer.causation import Causation
from order_service.service_layer.customers import (
    DEACTIVATION_REASON,
    record_deactivation,
    record_registration,
)
from tests.support.fakes import FakeCustomerRepository, FakeOrderRepository, FakeUnitOfWork
from tests.unit.order_service.service_layer.conftest import NOW, SOURCE, stored_order

LATER = NOW + timedelta(minutes=5)
CAUSE = Causation(SOURCE, correlation_id="flow-9", causation_id="deactivated-1")


async def register(uow: FakeUnitOfWork, user_id: uuid.UUID, email: str = "a@example.com") -> None:
    async with uow:
        await record_registration(uow, user_id=user_id, email=email, at=NOW, identity_key="k1")
        await uow.commit()


async def deactivate(uow: FakeUnitOfWork, user_id: uuid.UUID) -> list[Order]:
    async with uow:
        cancelled = await record_deactivation(uow, user_id=user_id, at=LATER, causation=CAUSE)
        await uow.commit()
    return cancelled


async def test_a_registration_records_an_active_customer_without_events(
    uow: FakeUnitOfWork, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    await register(uow, user_id)
    assert customers.rows == {
        user_id: Customer.registered(user_id, "a@example.com", at=NOW, identity_key="k1")
    }
    assert uow.outbox == []


async def test_a_repeated_registration_changes_nothing(
    uow: FakeUnitOfWork, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    await register(uow, user_id)
    before = dict(customers.rows)
    await register(uow, user_id)  # redelivered under a new event id
    assert customers.rows == before
    assert uow.outbox == []


async def test_a_registration_after_the_deactivation_keeps_the_customer_inactive(
    uow: FakeUnitOfWork, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    await deactivate(uow, user_id)
    await register(uow, user_id)
    customer = customers.rows[user_id]
    assert (customer.active, customer.email, customer.identity_key) == (
        False,
        "a@example.com",
        "k1",
    )


async def test_a_deactivation_cancels_only_that_customers_pending_orders(
    uow: FakeUnitOfWork, orders: FakeOrderRepository, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    first, second = stored_order(user_id, minute=1), stored_order(user_id, minute=2)
    confirmed = stored_order(user_id, OrderStatus.CONFIRMED)
    someone_elses = stored_order(uuid.uuid4())
    for order in (second, first, confirmed, someone_elses):
        orders.rows[order.id] = order
    await register(uow, user_id)

    cancelled = await deactivate(uow, user_id)

    assert [order.id for order in cancelled] == [first.id, second.id]
    assert not customers.rows[user_id].active
    assert {order.id: order.status for order in orders.orders} == {
        first.id: OrderStatus.CANCELLED,
        second.id: OrderStatus.CANCELLED,
        confirmed.id: OrderStatus.CONFIRMED,
        someone_elses.id: OrderStatus.PENDING,
    }
    assert [(entry.type, entry.key) for entry in uow.outbox] == [
        ("order.cancelled", str(first.id)),
        ("order.cancelled", str(second.id)),
    ]
    for entry in uow.outbox:
        assert entry.payload["reason"] == DEACTIVATION_REASON
        assert entry.payload["previous_status"] == "pending"
        assert (entry.envelope.causationid, entry.envelope.correlationid) == (
            "deactivated-1",
            "flow-9",
        )


async def test_the_customer_is_locked_before_its_orders(
    uow: FakeUnitOfWork, orders: FakeOrderRepository, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    pending = stored_order(user_id)
    orders.rows[pending.id] = pending
    await deactivate(uow, user_id)
    assert customers.locked == [user_id]
    assert pending.id in orders.locked


async def test_a_deactivation_of_an_unknown_user_records_it_inactive(
    uow: FakeUnitOfWork, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    assert await deactivate(uow, user_id) == []
    assert customers.rows == {user_id: Customer.deactivated(user_id, at=LATER)}
    assert uow.outbox == []


async def test_a_repeated_deactivation_cancels_nothing_more(
    uow: FakeUnitOfWork, orders: FakeOrderRepository
) -> None:
    user_id = uuid.uuid4()
    pending = stored_order(user_id)
    orders.rows[pending.id] = pending
    await deactivate(uow, user_id)

    assert await deactivate(uow, user_id) == []
    assert [entry.type for entry in uow.outbox] == ["order.cancelled"]
