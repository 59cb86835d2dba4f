"""order.placed through the idempotent runner wrapper on MariaDB: confirmed for an active
customer, rejected for an inactive one, waited for (TransientError) and then rejected for
an unknown one, ignored once no longer pending; redelivery and the orders of arrival."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import aiomysql
import pytest

from order_service.domain import Order, OrderLine, OrderStatus
from order_service.service_layer import orders, queries
from shared.envelope import Envelope, wrap
from shared.errors import PermanentError, TransientError
from shared.events import OrderConfirmedV1, OrderRejectedV1
from shared.service import UseCaseContext
from shared.settings import Settings
from tests.integration.order_service.handler_support import (
    processed,
    user_deactivated,
    user_registered,
)
from tests.support.delivery import TRACEPARENT, deliver
from tests.support.outbox import outbox_envelopes

LINES = [OrderLine(sku="BOOK-1", quantity=2, unit_price=Decimal("12.50"))]
WAIT_VARIABLE = "EDA_UNKNOWN_CUSTOMER_WAIT_S"


@pytest.fixture(autouse=True)
def default_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WAIT_VARIABLE, raising=False)


async def place(context: UseCaseContext, pool: aiomysql.Pool, user_id: uuid.UUID) -> Envelope:
    """Place an order over the real use case; return the order.placed its outbox holds,
    carrying a trace context as the relay would publish it."""
    order = await orders.place_order(context, user_id=user_id, currency="EUR", lines=LINES)
    [placed] = [e for e in await outbox_envelopes(pool) if e.subject == str(order.id)]
    return placed.model_copy(update={"traceparent": TRACEPARENT, "correlationid": f"req-{user_id}"})


async def place_for_a_known_customer(
    context: UseCaseContext, pool: aiomysql.Pool
) -> tuple[uuid.UUID, Envelope]:
    """Register a customer here, then place an order for them."""
    user_id = uuid.uuid4()
    await deliver(pool, user_registered(user_id))
    return user_id, await place(context, pool, user_id)


def aged(placed: Envelope, seconds: float) -> Envelope:
    return placed.model_copy(update={"time": placed.time - timedelta(seconds=seconds)})


async def order_of(context: UseCaseContext, placed: Envelope) -> Order:
    return await queries.get_order(context, uuid.UUID(placed.subject))


async def reactions(pool: aiomysql.Pool, placed: Envelope) -> list[Envelope]:
    """The events written because of ``placed``."""
    return [e for e in await outbox_envelopes(pool) if e.causationid == placed.id]


async def test_an_active_customers_order_is_confirmed(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id, placed = await place_for_a_known_customer(context, pool)
    await deliver(pool, placed)

    assert (await order_of(context, placed)).status is OrderStatus.CONFIRMED
    [confirmation] = await reactions(pool, placed)
    event = confirmation.event()
    assert isinstance(event, OrderConfirmedV1)
    assert (event.total.amount, event.total.currency) == (Decimal("25.00"), "EUR")
    assert (confirmation.type, confirmation.subject) == ("order.confirmed", placed.subject)
    assert confirmation.source == "urn:eda:order-service"
    assert confirmation.correlationid == placed.correlationid == f"req-{user_id}"
    assert confirmation.traceparent == TRACEPARENT
    assert await processed(pool, placed.id) == ["orders.order-placed"]


async def test_an_inactive_customers_order_is_rejected(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    await deliver(pool, user_registered(user_id))
    await deliver(pool, user_deactivated(user_id))
    placed = await place(context, pool, user_id)  # over HTTP the customer is not checked
    await deliver(pool, placed)

    order = await order_of(context, placed)
    assert (order.status, order.reason) == (OrderStatus.REJECTED, "customer inactive")
    [rejection] = await reactions(pool, placed)
    event = rejection.event()
    assert isinstance(event, OrderRejectedV1)
    assert (event.reason, rejection.subject) == ("customer inactive", placed.subject)
    assert rejection.correlationid == placed.correlationid


async def test_an_unknown_customer_is_waited_for_then_the_order_confirmed_once_known(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    placed = await place(context, pool, user_id)
    with pytest.raises(TransientError, match=f"customer {user_id} is not known yet"):
        await deliver(pool, placed)
    # Rolled back: no claim, so the runner's retry is handled afresh.
    assert await processed(pool, placed.id) == []
    assert (await order_of(context, placed)).status is OrderStatus.PENDING
    assert await reactions(pool, placed) == []

    await deliver(pool, user_registered(user_id))
    await deliver(pool, placed)
    assert (await order_of(context, placed)).status is OrderStatus.CONFIRMED
    assert [e.type for e in await reactions(pool, placed)] == ["order.confirmed"]


async def test_an_unknown_customer_gets_the_order_rejected_after_the_window(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    placed = aged(await place(context, pool, uuid.uuid4()), seconds=31)
    await deliver(pool, placed)

    order = await order_of(context, placed)
    assert (order.status, order.reason) == (OrderStatus.REJECTED, "unknown customer")
    [rejection] = await reactions(pool, placed)
    assert rejection.type == "order.rejected"


async def test_the_window_is_configurable(
    pool: aiomysql.Pool,
    context: UseCaseContext,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(WAIT_VARIABLE, "0")
    placed = await place(context, pool, uuid.uuid4())
    await deliver(pool, placed)
    assert (await order_of(context, placed)).reason == "unknown customer"

    monkeypatch.setenv(WAIT_VARIABLE, "120")
    with pytest.raises(TransientError):
        await deliver(pool, aged(await place(context, pool, uuid.uuid4()), seconds=60))


async def test_an_order_cancelled_before_its_placement_is_judged_is_left_alone(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    _, placed = await place_for_a_known_customer(context, pool)
    await orders.cancel_order(context, uuid.UUID(placed.subject))
    await deliver(pool, placed)

    assert (await order_of(context, placed)).status is OrderStatus.CANCELLED
    assert await reactions(pool, placed) == []
    assert await processed(pool, placed.id) == ["orders.order-placed"]


async def test_a_cancelled_order_with_an_unknown_customer_is_not_waited_for(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    placed = await place(context, pool, uuid.uuid4())
    await orders.cancel_order(context, uuid.UUID(placed.subject))
    await deliver(pool, placed)
    assert await reactions(pool, placed) == []


async def test_a_redelivered_order_placed_confirms_once(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    _, placed = await place_for_a_known_customer(context, pool)
    await deliver(pool, placed)
    await deliver(pool, placed)
    assert [e.type for e in await reactions(pool, placed)] == ["order.confirmed"]


async def test_an_order_placed_naming_no_stored_order_is_permanent(pool: aiomysql.Pool) -> None:
    _, event = Order.place(
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        currency="EUR",
        lines=LINES,
        at=datetime.now(UTC),
    )
    stray = wrap(event, source="urn:eda:order-service")
    with pytest.raises(PermanentError, match="no order stored here"):
        await deliver(pool, stray)
    assert await processed(pool, stray.id) == []


async def test_a_deactivation_handled_before_the_placement_cancels_and_the_placement_is_a_no_op(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id, placed = await place_for_a_known_customer(context, pool)
    await deliver(pool, user_deactivated(user_id))
    await deliver(pool, placed)

    order = await order_of(context, placed)
    assert (order.status, order.reason) == (OrderStatus.CANCELLED, "customer deactivated")
    assert [e.type for e in await outbox_envelopes(pool)] == ["order.placed", "order.cancelled"]


async def test_a_placement_handled_before_the_deactivation_stays_confirmed(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id, placed = await place_for_a_known_customer(context, pool)
    await deliver(pool, placed)
    await deliver(pool, user_deactivated(user_id))

    # Only pending orders are cancelled; the user's stats keep the confirmed one.
    assert (await order_of(context, placed)).status is OrderStatus.CONFIRMED
    assert [e.type for e in await outbox_envelopes(pool)] == ["order.placed", "order.confirmed"]


async def test_a_placement_before_its_customers_registration_ends_confirmed(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    placed = await place(context, pool, user_id)
    with pytest.raises(TransientError):
        await deliver(pool, placed)
    await deliver(pool, user_registered(user_id))
    await deliver(pool, placed)  # the runner's retry
    assert (await order_of(context, placed)).status is OrderStatus.CONFIRMED


async def test_placements_judged_while_the_customer_is_deactivated_settle_each_order_once(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    await deliver(pool, user_registered(user_id))
    placements = [await place(context, pool, user_id) for _ in range(6)]
    await asyncio.gather(
        *(deliver(pool, placed) for placed in placements),
        deliver(pool, user_deactivated(user_id)),
    )

    written = [e for e in await outbox_envelopes(pool) if e.type != "order.placed"]
    assert sorted(e.subject for e in written) == sorted(p.subject for p in placements)
    for placed in placements:
        order = await order_of(context, placed)
        # Judged first: confirmed; cancelled first: the placement finds it no longer pending.
        assert order.status in {OrderStatus.CONFIRMED, OrderStatus.CANCELLED}
        [event] = [e for e in written if e.subject == placed.subject]
        assert event.type == f"order.{order.status.value}"


async def test_the_relay_is_woken_only_by_commits_that_wrote_events(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    """A wake makes the relay look: after a commit without events it looks in vain."""
    user_id = uuid.uuid4()
    wakes: list[str] = []
    registered = user_registered(user_id)
    await deliver(pool, registered, after_commit=lambda: wakes.append("user.registered"))
    placed = await place(context, pool, user_id)
    await deliver(pool, placed, after_commit=lambda: wakes.append("order.placed"))
    await deliver(pool, placed, after_commit=lambda: wakes.append("order.placed again"))

    assert wakes == ["order.placed"], "only the confirmation wrote an event"
