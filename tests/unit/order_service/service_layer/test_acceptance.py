"""Settling a placed order in the caller's unit of work: confirmed for an active
customer, rejected for an inactive or long-unknown one, left alone once not pending."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from order_service.domain import Customer, Order, OrderStatus
from order_service.domain.acceptance import CUSTOMER_INACTIVE, UNKNOWN_CUSTOMER
from order_service.service_layer.acceptance import settle_placed_order
from order_service.service_layer.causation import Causation
from order_service.service_layer.errors import CustomerNotYetKnownError, OrderNotFoundError
from tests.support.fakes import FakeCustomerRepository, FakeOrderRepository, FakeUnitOfWork
from tests.unit.order_service.service_layer.conftest import NOW, SOURCE, stored_order

WAIT = timedelta(seconds=30)
CAUSE = Causation(SOURCE, correlation_id="flow-1", causation_id="placed-1")


async def settle(uow: FakeUnitOfWork, order: Order, *, after: timedelta) -> Order | None:
    async with uow:
        settled = await settle_placed_order(
            uow,
            order.id,
            user_id=order.user_id,
            placed_at=order.created_at,
            now=order.created_at + after,
            wait=WAIT,
            causation=CAUSE,
        )
        await uow.commit()
    return settled


@pytest.fixture
def active_customer(customers: FakeCustomerRepository, pending: Order) -> Customer:
    """The customer of the pending order, registered and active."""
    customer = Customer.registered(pending.user_id, "a@example.com", at=NOW)
    customers.rows[pending.user_id] = customer
    return customer


@pytest.mark.usefixtures("active_customer")
async def test_an_active_customers_order_is_confirmed_with_an_event_naming_its_cause(
    uow: FakeUnitOfWork, orders: FakeOrderRepository, pending: Order
) -> None:
    settled = await settle(uow, pending, after=timedelta(seconds=1))

    assert settled is not None
    assert settled.status is OrderStatus.CONFIRMED
    assert orders.rows[pending.id].status is OrderStatus.CONFIRMED
    [confirmed] = uow.outbox
    assert (confirmed.type, confirmed.key) == ("order.confirmed", str(pending.id))
    assert confirmed.payload["total"] == {"amount": "25.00", "currency": "EUR"}
    assert (confirmed.envelope.causationid, confirmed.envelope.correlationid) == (
        "placed-1",
        "flow-1",
    )


@pytest.mark.usefixtures("active_customer")
async def test_the_customer_is_locked_before_the_order(
    uow: FakeUnitOfWork,
    orders: FakeOrderRepository,
    customers: FakeCustomerRepository,
    pending: Order,
) -> None:
    await settle(uow, pending, after=timedelta(0))
    assert customers.locked == [pending.user_id]
    assert orders.locked == [pending.id]


async def test_an_inactive_customers_order_is_rejected_with_the_reason(
    uow: FakeUnitOfWork,
    orders: FakeOrderRepository,
    customers: FakeCustomerRepository,
    pending: Order,
) -> None:
    customers.rows[pending.user_id] = Customer.deactivated(pending.user_id, at=NOW)

    settled = await settle(uow, pending, after=timedelta(seconds=1))

    assert settled is not None
    assert (settled.status, settled.reason) == (OrderStatus.REJECTED, CUSTOMER_INACTIVE)
    [rejected] = uow.outbox
    assert (rejected.type, rejected.payload["reason"]) == ("order.rejected", CUSTOMER_INACTIVE)
    assert rejected.envelope.causationid == "placed-1"


async def test_an_unknown_customer_is_waited_for_and_nothing_is_written_meanwhile(
    uow: FakeUnitOfWork, orders: FakeOrderRepository, pending: Order
) -> None:
    with pytest.raises(CustomerNotYetKnownError) as raised:
        await settle(uow, pending, after=timedelta(seconds=10))

    assert (raised.value.user_id, raised.value.remaining) == (
        pending.user_id,
        timedelta(seconds=20),
    )
    assert orders.rows[pending.id].status is OrderStatus.PENDING
    assert (uow.commits, uow.outbox) == (0, [])


async def test_a_customer_unknown_past_the_wait_gets_the_order_rejected(
    uow: FakeUnitOfWork, pending: Order
) -> None:
    settled = await settle(uow, pending, after=WAIT)

    assert settled is not None
    assert (settled.status, settled.reason) == (OrderStatus.REJECTED, UNKNOWN_CUSTOMER)
    assert [entry.type for entry in uow.outbox] == ["order.rejected"]


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.CONFIRMED])
async def test_an_order_no_longer_pending_is_left_as_it_is(
    uow: FakeUnitOfWork,
    orders: FakeOrderRepository,
    customers: FakeCustomerRepository,
    status: OrderStatus,
) -> None:
    settled_before = stored_order(uuid.uuid4(), status)
    orders.rows[settled_before.id] = settled_before
    customers.rows[settled_before.user_id] = Customer.deactivated(settled_before.user_id, at=NOW)

    assert await settle(uow, settled_before, after=timedelta(seconds=1)) is None

    assert orders.rows == {settled_before.id: settled_before}
    assert uow.outbox == []


async def test_an_order_never_stored_here_is_not_found(uow: FakeUnitOfWork) -> None:
    never = stored_order(uuid.uuid4())
    with pytest.raises(OrderNotFoundError):
        await settle(uow, never, after=WAIT)
    assert uow.outbox == []
