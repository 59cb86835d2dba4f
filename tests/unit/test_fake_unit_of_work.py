"""The fake unit of work behaves as the real one where the use cases' tests rely on it:
a commit keeps what was written, leaving without one restores the repositories and drops
the events, and no SQL gets past it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from order_service.adapters.customer_repository import CustomerRepository
from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order, OrderLine
from shared.envelope import Envelope, wrap
from shared.events import UserDeactivatedV1
from shared.outbox import add_to_outbox
from tests.support.fakes import FakeOrderRepository, FakeUnitOfWork, SqlReachedFakeError

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LINES = [OrderLine(sku="BOOK-1", quantity=1, unit_price=Decimal("1.00"))]


def placed() -> Order:
    order, _ = Order.place(
        order_id=uuid.uuid4(), user_id=uuid.uuid4(), currency="EUR", lines=LINES, at=NOW
    )
    return order


def deactivation() -> list[Envelope]:
    event = UserDeactivatedV1(user_id=uuid.uuid4(), deactivated_at=NOW)
    return [wrap(event, source="urn:test")]


async def test_a_commit_keeps_the_rows_and_publishes_the_written_events() -> None:
    orders = FakeOrderRepository()
    uow = FakeUnitOfWork(orders)
    order = placed()
    [envelope] = deactivation()
    async with uow:
        await uow.repository(OrderRepository).add(order)
        await add_to_outbox(uow, [envelope])
        assert uow.outbox == []
        await uow.commit()
    assert orders.rows == {order.id: order}
    [entry] = uow.outbox
    assert (entry.type, entry.envelope) == ("user.deactivated", envelope)
    assert (uow.commits, uow.rollbacks, uow.written) == (1, 0, [])


async def test_leaving_without_a_commit_restores_the_rows_and_drops_the_events() -> None:
    kept = placed()
    orders = FakeOrderRepository([kept])
    uow = FakeUnitOfWork(orders)

    async def write_then_fail() -> None:
        async with uow:
            await uow.repository(OrderRepository).add(placed())
            await add_to_outbox(uow, deactivation())
            raise RuntimeError("lost the database")

    with pytest.raises(RuntimeError, match="lost"):
        await write_then_fail()
    assert orders.rows == {kept.id: kept}
    assert (uow.commits, uow.rollbacks, uow.written, uow.outbox) == (0, 1, [], [])


async def test_sql_past_the_repositories_is_refused() -> None:
    async with FakeUnitOfWork() as uow:
        with pytest.raises(SqlReachedFakeError):
            await uow.execute("SELECT 1")
        with pytest.raises(SqlReachedFakeError):
            _ = uow.connection


def test_a_repository_it_was_not_given_is_a_lookup_error() -> None:
    with pytest.raises(LookupError):
        FakeUnitOfWork(FakeOrderRepository()).repository(CustomerRepository)
