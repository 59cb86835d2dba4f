"""Changing one order inside the caller's unit of work: the row is locked before the
domain decides, the change and its event are written, the caller commits."""

from __future__ import annotations

import uuid

import pytest

from order_service.domain import IllegalTransitionError, Order, OrderStatus
from order_service.service_layer.causation import Causation
from order_service.service_layer.errors import OrderNotFoundError
from order_service.service_layer.transitions import apply_in
from shared.events import OrderConfirmedV1
from tests.support.fakes import FakeOrderRepository, FakeUnitOfWork
from tests.unit.order_service.service_layer.conftest import NOW, SOURCE, stored_order

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
CAUSE = Causation(
    SOURCE,
    correlation_id="flow-1",
    causation_id="placed-1",
    traceparent=TRACEPARENT,
    tracestate="vendor=1",
)


def confirm(order: Order) -> tuple[Order, OrderConfirmedV1]:
    return order.confirm(at=NOW)


async def test_the_change_and_its_event_are_written_in_the_callers_transaction(
    uow: FakeUnitOfWork, orders: FakeOrderRepository, pending: Order
) -> None:
    async with uow:
        changed = await apply_in(uow, pending.id, confirm, CAUSE)
        assert orders.locked == [pending.id]
        assert orders.rows[pending.id] == changed
        [written] = uow.written
        assert uow.commits == 0  # the caller commits, with its processed mark
        await uow.commit()

    assert changed.status is OrderStatus.CONFIRMED
    assert (written.type, written.key) == ("order.confirmed", str(pending.id))
    assert written.payload["confirmed_at"] == NOW.isoformat().replace("+00:00", "Z")


async def test_the_event_names_its_cause_and_continues_its_flow_and_trace(
    uow: FakeUnitOfWork, pending: Order
) -> None:
    async with uow:
        await apply_in(uow, pending.id, confirm, CAUSE)
        await uow.commit()

    envelope = uow.outbox[0].envelope
    assert (envelope.source, envelope.causationid, envelope.correlationid) == (
        SOURCE,
        "placed-1",
        "flow-1",
    )
    assert (envelope.traceparent, envelope.tracestate) == (TRACEPARENT, "vendor=1")


async def test_an_illegal_transition_writes_nothing(
    uow: FakeUnitOfWork, orders: FakeOrderRepository
) -> None:
    cancelled = stored_order(uuid.uuid4(), OrderStatus.CANCELLED)
    orders.rows[cancelled.id] = cancelled

    async with uow:
        with pytest.raises(IllegalTransitionError):
            await apply_in(uow, cancelled.id, confirm, CAUSE)
        assert orders.rows == {cancelled.id: cancelled}
        assert uow.written == []
        assert not uow.wrote_outbox


async def test_an_unknown_order_is_not_found_before_anything_is_written(
    uow: FakeUnitOfWork,
) -> None:
    async with uow:
        with pytest.raises(OrderNotFoundError):
            await apply_in(uow, uuid.uuid4(), confirm, CAUSE)
        assert uow.written == []
