"""Reads: an unknown order is not found, pages follow (created_at, id) to the end, a
customer's identity is None until its registration arrives. Reads commit nothing."""

from __future__ import annotations

import uuid

import pytest

from order_service.domain import Customer
from order_service.service_layer.errors import OrderNotFoundError
from order_service.service_layer.queries import customer_identity, get_order, list_orders
from shared.service import UseCaseContext
from tests.support.fakes import FakeCustomerRepository, FakeOrderRepository, FakeUnitOfWork
from tests.unit.order_service.service_layer.conftest import NOW, stored_order


async def test_an_unknown_order_is_not_found(context: UseCaseContext) -> None:
    unknown = uuid.uuid4()
    with pytest.raises(OrderNotFoundError) as raised:
        await get_order(context, unknown)
    assert raised.value.order_id == unknown


async def test_pages_of_one_users_orders_follow_each_other_to_the_end(
    context: UseCaseContext, uow: FakeUnitOfWork, orders: FakeOrderRepository
) -> None:
    user_id = uuid.uuid4()
    mine = [stored_order(user_id, minute=minute) for minute in (3, 1, 2)]
    for order in [*mine, stored_order(uuid.uuid4())]:
        orders.rows[order.id] = order

    first = await list_orders(context, user_id=user_id, cursor=None, limit=2)
    rest = await list_orders(context, user_id=user_id, cursor=first.next_cursor, limit=2)

    by_time = sorted(mine, key=lambda order: order.created_at)
    assert first.items == by_time[:2]
    assert (rest.items, rest.next_cursor) == (by_time[2:], None)
    assert (uow.commits, uow.outbox) == (0, [])


async def test_a_customers_identity_is_none_until_its_registration_arrives(
    context: UseCaseContext, customers: FakeCustomerRepository
) -> None:
    user_id = uuid.uuid4()
    assert await customer_identity(context, user_id) is None
    customers.rows[user_id] = Customer.registered(
        user_id, "a@example.com", at=NOW, identity_key="k"
    )
    assert await customer_identity(context, user_id) == "k"
