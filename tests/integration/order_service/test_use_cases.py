"""Use cases on MariaDB: the change and its outbox row commit together or not at all."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Sequence
from decimal import Decimal
from functools import partial

import aiomysql
import pytest

from order_service.domain import IllegalTransitionError, Order, OrderLine, OrderStatus
from order_service.service_layer import orders, queries, transitions
from order_service.service_layer.causation import Causation
from order_service.service_layer.errors import OrderNotFoundError
from shared.db import UnitOfWork, handled_once
from shared.envelope import Envelope
from shared.events import Event, OrderCancelledV1, OrderConfirmedV1, OrderPlacedV1, OrderRejectedV1
from shared.outbox import add_to_outbox
from shared.service import UseCaseContext
from shared.service.idempotency_keys import RequestTransaction
from tests.integration.order_service.support import confirm, reject
from tests.support.mysql import count_rows
from tests.support.outbox import outbox_envelopes

LINES = [OrderLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.50"))]


async def place(context: UseCaseContext) -> Order:
    return await orders.place_order(context, user_id=uuid.uuid4(), currency="EUR", lines=LINES)


async def test_placing_writes_the_order_and_one_order_placed_row(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    wakes: list[int] = []
    context = dataclasses.replace(
        context,
        unit_of_work=partial(UnitOfWork, pool, after_outbox_commit=lambda: wakes.append(1)),
    )
    order = await orders.place_order(context, user_id=uuid.uuid4(), currency="EUR", lines=LINES)
    assert await queries.get_order(context, order.id) == order
    [envelope] = await outbox_envelopes(pool)
    event = envelope.event()
    assert isinstance(event, OrderPlacedV1)
    assert (envelope.subject, envelope.source) == (str(order.id), "urn:eda:order-service")
    assert event.total.amount == Decimal("25.00")
    assert wakes == [1]


async def test_a_failure_after_writing_leaves_neither_order_nor_outbox_row(
    context: UseCaseContext, pool: aiomysql.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def write_then_fail(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        await add_to_outbox(uow, envelopes)
        raise ConnectionError("lost the database before commit")

    monkeypatch.setattr(orders, "add_to_outbox", write_then_fail)
    wakes: list[int] = []
    context = dataclasses.replace(
        context,
        unit_of_work=partial(UnitOfWork, pool, after_outbox_commit=lambda: wakes.append(1)),
    )
    with pytest.raises(ConnectionError):
        await place(context)
    assert wakes == []  # rolled back: nothing for the relay
    assert await count_rows(pool, "orders") == 0
    assert await count_rows(pool, "order_items") == 0
    assert await count_rows(pool, "outbox") == 0


async def test_a_failed_cancel_leaves_the_order_pending_and_no_outbox_row(
    context: UseCaseContext, pool: aiomysql.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = await place(context)

    async def write_then_fail(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
        await add_to_outbox(uow, envelopes)
        raise ConnectionError("lost the database before commit")

    monkeypatch.setattr(transitions, "add_to_outbox", write_then_fail)
    with pytest.raises(ConnectionError):
        await orders.cancel_order(context, order.id)
    assert (await queries.get_order(context, order.id)).status is OrderStatus.PENDING
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == ["order.placed"]


async def test_confirm_and_reject_carry_the_causing_event(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    first, second = await place(context), await place(context)
    confirmed = await confirm(
        context,
        first.id,
        Causation(context.source, causation_id="placed-1", correlation_id="corr-1"),
    )
    rejected = await reject(
        context,
        second.id,
        "customer is deactivated",
        Causation(context.source, causation_id="placed-2", correlation_id="c2"),
    )
    assert confirmed.status is OrderStatus.CONFIRMED
    assert (rejected.status, rejected.reason) == (OrderStatus.REJECTED, "customer is deactivated")
    *_, confirmation, rejection = await outbox_envelopes(pool)
    assert isinstance(confirmation.event(), OrderConfirmedV1)
    assert (confirmation.causationid, confirmation.correlationid) == ("placed-1", "corr-1")
    assert isinstance(rejection.event(), OrderRejectedV1)
    assert (rejection.subject, rejection.causationid) == (str(second.id), "placed-2")


async def test_an_illegal_transition_writes_nothing(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    order = await place(context)
    await orders.cancel_order(context, order.id)
    with pytest.raises(IllegalTransitionError):
        await confirm(context, order.id)
    assert (await queries.get_order(context, order.id)).status is OrderStatus.CANCELLED
    assert [e.type for e in await outbox_envelopes(pool)] == ["order.placed", "order.cancelled"]


async def test_changing_an_unknown_order_is_not_found(context: UseCaseContext) -> None:
    with pytest.raises(OrderNotFoundError):
        await orders.cancel_order(context, uuid.uuid4())
    with pytest.raises(OrderNotFoundError):
        await reject(context, uuid.uuid4(), "no")


async def test_concurrent_cancels_of_one_order_succeed_once(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    order = await place(context)
    outcomes = await asyncio.gather(
        *(orders.cancel_order(context, order.id) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(outcome, Order) for outcome in outcomes) == 1
    assert sum(isinstance(outcome, IllegalTransitionError) for outcome in outcomes) == 3
    cancellations = [e for e in await outbox_envelopes(pool) if e.type == "order.cancelled"]
    assert len(cancellations) == 1


async def test_a_subscriber_confirms_inside_its_idempotent_unit_of_work(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    order = await place(context)
    [placed] = await outbox_envelopes(pool)

    async def confirm(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await transitions.apply_in(
            uow,
            uuid.UUID(envelope.subject),
            lambda order: order.confirm(at=context.clock()),
            Causation.of(envelope, source=context.source),
        )

    handle = handled_once(pool, "order-confirmation", confirm)
    await handle(placed.event(), placed)
    await handle(placed.event(), placed)  # redelivered: skipped, no second transition
    assert (await queries.get_order(context, order.id)).status is OrderStatus.CONFIRMED
    confirmation = (await outbox_envelopes(pool))[-1]
    assert isinstance(confirmation.event(), OrderConfirmedV1)
    assert confirmation.causationid == placed.id
    assert confirmation.correlationid == placed.correlationid


async def test_cancelling_a_confirmed_order_records_previous_status(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    order = await place(context)
    await confirm(context, order.id)
    cancelled = await orders.cancel_order(context, order.id, "out of stock")
    assert (cancelled.status, cancelled.reason) == (OrderStatus.CANCELLED, "out of stock")
    event = (await outbox_envelopes(pool))[-1].event()
    assert isinstance(event, OrderCancelledV1)
    assert (event.previous_status, event.reason) == ("confirmed", "out of stock")


async def test_an_order_placed_in_a_keyed_request_says_it_wrote_outbox_rows(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    """The outbox writer marks the unit of work it is given; in a request with an
    Idempotency-Key that is the request's shared one, and the mark must reach it."""
    transaction = RequestTransaction(pool)
    try:
        keyed = transaction.context_for(context)
        await orders.place_order(keyed, user_id=uuid.uuid4(), currency="EUR", lines=LINES)
        assert transaction.commit_asked
        assert transaction.wrote_outbox
        await transaction.open_unit_of_work.commit()
    finally:
        await transaction.close()
    assert await count_rows(pool, "outbox") == 1


async def test_a_keyed_request_rolled_back_has_no_outbox_rows_to_announce(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    transaction = RequestTransaction(pool)
    try:
        async with transaction.context_for(context).unit_of_work() as uow:
            _, placed = Order.place(
                order_id=uuid.uuid4(),
                user_id=uuid.uuid4(),
                currency="EUR",
                lines=LINES,
                at=context.clock(),
            )
            await add_to_outbox(uow, context.envelopes([placed]))
            assert transaction.wrote_outbox
        assert not transaction.wrote_outbox
    finally:
        await transaction.close()
    assert await count_rows(pool, "outbox") == 0
