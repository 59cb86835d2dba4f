"""The orders context's use cases over fake repositories, at a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from order_service.domain import Order, OrderLine, OrderStatus
from shared.service import UseCaseContext
from tests.support.fakes import (
    FakeCustomerRepository,
    FakeOrderRepository,
    FakeUnitOfWork,
    fixed_context,
)

SOURCE = "urn:eda:order-service"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LINES = (OrderLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.50")),)


def stored_order(
    user_id: uuid.UUID, status: OrderStatus = OrderStatus.PENDING, *, minute: int = 0
) -> Order:
    at = NOW.replace(minute=minute)
    return Order(uuid.uuid4(), user_id, "EUR", LINES, status, created_at=at, updated_at=at)


@pytest.fixture
def orders() -> FakeOrderRepository:
    return FakeOrderRepository()


@pytest.fixture
def customers() -> FakeCustomerRepository:
    return FakeCustomerRepository()


@pytest.fixture
def pending(orders: FakeOrderRepository) -> Order:
    """A pending order of a user not seen before, stored."""
    order = stored_order(uuid.uuid4())
    orders.rows[order.id] = order
    return order


@pytest.fixture
def uow(orders: FakeOrderRepository, customers: FakeCustomerRepository) -> FakeUnitOfWork:
    return FakeUnitOfWork(orders, customers)


@pytest.fixture
def new_id() -> uuid.UUID:
    return uuid.uuid4()


@pytest.fixture
def context(uow: FakeUnitOfWork, new_id: uuid.UUID) -> UseCaseContext:
    return fixed_context(uow, source=SOURCE, now=NOW, new_id=new_id)
