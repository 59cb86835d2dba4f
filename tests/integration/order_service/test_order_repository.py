"""The order repository on MariaDB: exact round trips and keyset pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiomysql

from order_service.adapters.order_repository import OrderRepository
from order_service.domain import Order, OrderLine, OrderStatus
from shared.db import PageKey, UnitOfWork

START = datetime(2026, 3, 1, 12, 0, 0, 1, tzinfo=UTC)


def new_order(at: datetime = START, user_id: uuid.UUID | None = None) -> Order:
    order, _ = Order.place(
        order_id=uuid.uuid4(),
        user_id=user_id or uuid.uuid4(),
        currency="JPY",
        lines=[
            OrderLine(sku="Z-last", quantity=1, unit_price=Decimal("999999999.99")),
            OrderLine(sku="a-first", quantity=10_000, unit_price=Decimal("0.01")),
        ],
        at=at,
    )
    return order


async def store(pool: aiomysql.Pool, *orders: Order) -> None:
    async with UnitOfWork(pool) as uow:
        for order in orders:
            await OrderRepository(uow).add(order)
        await uow.commit()


async def test_an_order_reads_back_exactly_as_stored(pool: aiomysql.Pool) -> None:
    order = new_order()
    await store(pool, order)
    async with UnitOfWork(pool) as uow:
        loaded = await OrderRepository(uow).get(order.id)
        total = await uow.fetchone("SELECT total FROM orders WHERE id = %s", (str(order.id),))
    assert loaded == order
    assert loaded is not None
    assert [line.sku for line in loaded.lines] == ["Z-last", "a-first"]  # line order, not sku
    assert total == (Decimal("1000000099.99"),)


async def test_an_unknown_order_is_none(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        assert await OrderRepository(uow).get(uuid.uuid4()) is None


async def test_a_status_change_is_stored_with_its_reason_and_time(pool: aiomysql.Pool) -> None:
    order = new_order()
    await store(pool, order)
    cancelled, _ = order.cancel("changed my mind", at=START + timedelta(hours=1))
    async with UnitOfWork(pool) as uow:
        repository = OrderRepository(uow)
        locked = await repository.get(order.id, for_update=True)
        assert locked == order
        await repository.save(cancelled)
        await uow.commit()
    async with UnitOfWork(pool) as uow:
        loaded = await OrderRepository(uow).get(order.id)
    assert loaded == cancelled
    assert loaded is not None
    assert loaded.status is OrderStatus.CANCELLED


async def test_pages_follow_created_at_then_id_and_filter_by_user(pool: aiomysql.Pool) -> None:
    alice, bob = uuid.uuid4(), uuid.uuid4()
    # Three orders share one instant: the id breaks the tie.
    orders = [new_order(START, alice) for _ in range(3)]
    orders += [new_order(START - timedelta(seconds=1), bob), new_order(START + timedelta(1), alice)]
    await store(pool, *orders)
    expected = sorted(orders, key=lambda order: (order.created_at, str(order.id)))

    async with UnitOfWork(pool) as uow:
        repository = OrderRepository(uow)
        everything = await repository.page(user_id=None, after=None, limit=10)
        first = await repository.page(user_id=None, after=None, limit=2)
        rest = await repository.page(
            user_id=None, after=PageKey(first[-1].created_at, first[-1].id), limit=10
        )
        alices = await repository.page(user_id=alice, after=None, limit=10)
        after_two = await repository.page(
            user_id=alice, after=PageKey(alices[1].created_at, alices[1].id), limit=10
        )
        nobody = await repository.page(user_id=uuid.uuid4(), after=None, limit=10)

    assert everything == expected
    assert first + rest == expected
    assert alices == [order for order in expected if order.user_id == alice]
    assert after_two == alices[2:]
    assert nobody == []
