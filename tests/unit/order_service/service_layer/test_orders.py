"""Placing and cancelling an order: one unit of work, the change and its event committed
together, nothing written when the order cannot change."""

from __future__ import annotations

import uuid

import pytest

from order_service.domain import IllegalTransitionError, Order, OrderStatus
from order_service.service_layer import orders as use_cases
from order_service.service_layer.errors import OrderNotFoundError
from shared.service import UseCaseContext
from tests.support.fakes import FakeOrderRepository, FakeUnitOfWork
from tests.unit.order_service.service_layer.conftest import LINES, NOW, SOURCE, stored_order


async def test_placing_stores_the_order_and_commits_one_order_placed_event(
    context: UseCaseContext, uow: FakeUnitOfWork, orders: FakeOrderRepository, new_id: uuid.UUID
) -> None:
    user_id = uuid.uuid4()
    order = await use_cases.place_order(context, user_id=user_id, currency="EUR", lines=LINES)

    assert (order.id, order.status, order.created_at) == (new_id, OrderStatus.PENDING, NOW)
    assert orders.rows == {new_id: order}
    assert (uow.commits, uow.rollbacks) == (1, 0)
    [placed] = uow.outbox
    assert (placed.type, placed.key) == ("order.placed", str(new_id))
    assert placed.payload["user_id"] == str(user_id)
    assert placed.payload["total"] == {"amount": "25.00", "currency": "EUR"}
    assert placed.payload["items"] == [
        {"sku": "BOOK-1", "quantity": 2, "unit_price": {"amount": "12.50", "currency": "EUR"}}
    ]
    assert placed.envelope.source == SOURCE
    assert uow.wrote_outbox


async def test_cancelling_a_pending_order_commits_the_cancellation_and_its_event(
    context: UseCaseContext, uow: FakeUnitOfWork, orders: FakeOrderRepository, pending: Order
) -> None:
    cancelled = await use_cases.cancel_order(context, pending.id)

    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELLED, "cancelled by customer")
    assert orders.rows[pending.id].status is OrderStatus.CANCELLED
    assert orders.locked == [pending.id]
    assert uow.commits == 1
    [event] = uow.outbox
    assert (event.type, event.key) == ("order.cancelled", str(pending.id))
    assert event.payload["previous_status"] == "pending"
    assert event.payload["reason"] == "cancelled by customer"
    # A customer's own request starts a flow: no cause, and its own id correlates.
    assert event.envelope.causationid is None
    assert event.envelope.correlationid == event.envelope.id
    assert event.envelope.source == SOURCE


async def test_cancelling_a_confirmed_order_names_its_previous_status_and_reason(
    context: UseCaseContext, uow: FakeUnitOfWork, orders: FakeOrderRepository
) -> None:
    confirmed = stored_order(uuid.uuid4(), OrderStatus.CONFIRMED)
    orders.rows[confirmed.id] = confirmed

    await use_cases.cancel_order(context, confirmed.id, "out of stock")

    [event] = uow.outbox
    assert (event.payload["previous_status"], event.payload["reason"]) == (
        "confirmed",
        "out of stock",
    )


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REJECTED])
async def test_an_order_that_cannot_be_cancelled_is_refused_and_nothing_is_written(
    context: UseCaseContext, uow: FakeUnitOfWork, orders: FakeOrderRepository, status: OrderStatus
) -> None:
    final = stored_order(uuid.uuid4(), status)
    orders.rows[final.id] = final

    with pytest.raises(IllegalTransitionError):
        await use_cases.cancel_order(context, final.id)

    assert orders.rows == {final.id: final}
    assert (uow.commits, uow.rollbacks, uow.outbox) == (0, 1, [])


async def test_cancelling_an_unknown_order_is_not_found_and_commits_nothing(
    context: UseCaseContext, uow: FakeUnitOfWork
) -> None:
    unknown = uuid.uuid4()
    with pytest.raises(OrderNotFoundError) as raised:
        await use_cases.cancel_order(context, unknown)
    assert raised.value.order_id == unknown
    assert (uow.commits, uow.rollbacks, uow.outbox) == (0, 1, [])


async def test_a_second_cancellation_is_refused_after_the_first_committed(
    context: UseCaseContext, uow: FakeUnitOfWork, pending: Order
) -> None:
    await use_cases.cancel_order(context, pending.id)

    with pytest.raises(IllegalTransitionError):
        await use_cases.cancel_order(context, pending.id)

    assert [entry.type for entry in uow.outbox] == ["order.cancelled"]
    assert (uow.commits, uow.rollbacks) == (1, 1)
