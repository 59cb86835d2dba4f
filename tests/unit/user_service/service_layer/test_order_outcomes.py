"""What becomes of a user's orders, in the caller's unit of work: each order counts at
most once, a cancellation takes back what its confirmation added, a rejection notifies
once; no event is raised and nothing is committed here."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import timedelta
from decimal import Decimal

import pytest

from shared.events import Money
from tests.support.fakes import (
    FakeNotificationRepository,
    FakeOrderLedgerRepository,
    FakeUnitOfWork,
    FakeUserRepository,
)
from tests.unit.user_service.service_layer.conftest import NOW, registered_user
from user_service.domain.errors import (
    ConflictingOrderFactsError,
    OrderStatsError,
    UserNotFoundError,
)
from user_service.domain.order_ledger import CancelledFrom
from user_service.domain.user import User
from user_service.service_layer.order_outcomes import (
    ConfirmedOrder,
    count_confirmed_order,
    count_confirmed_orders,
    notify_order_rejected,
    uncount_cancelled_order,
)

TOTAL = Money(amount=Decimal("25.00"), currency="EUR")
LATER = NOW + timedelta(minutes=1)


@pytest.fixture
def user(users: FakeUserRepository) -> User:
    stored = registered_user()
    users.rows[stored.id] = stored
    return stored


async def handled(uow: FakeUnitOfWork, reaction: Awaitable[None]) -> None:
    """As the subscriber runner does: the reaction, then the runner's own commit."""
    async with uow:
        commits = uow.commits
        await reaction
        assert uow.commits == commits  # the reaction leaves the commit to the runner
        await uow.commit()


def confirmed(uow: FakeUnitOfWork, order_id: uuid.UUID, user: User) -> Awaitable[None]:
    return count_confirmed_order(
        uow, order_id=order_id, user_id=user.id, total=TOTAL, confirmed_at=NOW
    )


def cancelled(
    uow: FakeUnitOfWork, order_id: uuid.UUID, user: User, previous: CancelledFrom
) -> Awaitable[None]:
    return uncount_cancelled_order(
        uow,
        order_id=order_id,
        user_id=user.id,
        total=TOTAL,
        previous_status=previous,
        cancelled_at=LATER,
    )


def statistics(users: FakeUserRepository, user: User) -> tuple[int, dict[str, Decimal]]:
    stored = users.rows[user.id]
    return stored.orders_count, stored.total_spent


async def test_a_confirmed_order_counts_once_however_often_it_is_told(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    await handled(uow, confirmed(uow, order_id, user))
    await handled(uow, confirmed(uow, order_id, user))

    assert statistics(users, user) == (1, {"EUR": Decimal("25.00")})
    assert users.locked == [user.id, user.id]
    [entry] = ledger.entries
    assert (entry.order_id, entry.confirmed_at) == (order_id, NOW)
    assert uow.outbox == []


async def test_a_cancellation_takes_back_what_the_confirmation_added(
    uow: FakeUnitOfWork, users: FakeUserRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    await handled(uow, confirmed(uow, order_id, user))
    await handled(uow, cancelled(uow, order_id, user, CancelledFrom.CONFIRMED))
    await handled(uow, cancelled(uow, order_id, user, CancelledFrom.CONFIRMED))  # repeated

    assert statistics(users, user) == (0, {})
    assert uow.outbox == []


async def test_a_confirmation_arriving_after_its_cancellation_counts_nothing(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    await handled(uow, cancelled(uow, order_id, user, CancelledFrom.CONFIRMED))
    await handled(uow, confirmed(uow, order_id, user))

    assert statistics(users, user) == (0, {})
    [entry] = ledger.entries
    assert (entry.confirmed_at, entry.cancelled_from) == (NOW, CancelledFrom.CONFIRMED)


async def test_an_order_cancelled_while_pending_changes_no_statistic(
    uow: FakeUnitOfWork, users: FakeUserRepository, user: User
) -> None:
    await handled(uow, cancelled(uow, uuid.uuid4(), user, CancelledFrom.PENDING))
    assert statistics(users, user) == (0, {})


async def test_statistics_holding_less_than_the_order_are_refused_and_left_alone(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    await handled(uow, confirmed(uow, order_id, user))
    users.rows[user.id].total_spent["EUR"] = Decimal("10.00")  # less than the order added

    with pytest.raises(OrderStatsError):
        await handled(uow, cancelled(uow, order_id, user, CancelledFrom.CONFIRMED))

    assert statistics(users, user) == (1, {"EUR": Decimal("10.00")})
    assert ledger.rows[order_id].cancelled_at is None
    assert uow.rollbacks == 1


async def test_conflicting_facts_about_an_order_change_nothing(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    await handled(uow, cancelled(uow, order_id, user, CancelledFrom.PENDING))

    with pytest.raises(ConflictingOrderFactsError):
        await handled(uow, confirmed(uow, order_id, user))

    assert statistics(users, user) == (0, {})
    assert ledger.rows[order_id].confirmed_at is None


async def test_an_unknown_user_is_not_found_and_leaves_no_ledger_entry(
    uow: FakeUnitOfWork, ledger: FakeOrderLedgerRepository
) -> None:
    stranger = registered_user()
    with pytest.raises(UserNotFoundError):
        await handled(uow, confirmed(uow, uuid.uuid4(), stranger))
    with pytest.raises(UserNotFoundError):
        await handled(uow, cancelled(uow, uuid.uuid4(), stranger, CancelledFrom.CONFIRMED))
    assert ledger.entries == []


async def test_a_run_of_confirmations_counts_each_order_once(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    other = registered_user("bob@example.com")
    users.rows[other.id] = other
    first, second = uuid.uuid4(), uuid.uuid4()
    run = [
        ConfirmedOrder(first, user.id, TOTAL, NOW),
        ConfirmedOrder(second, other.id, TOTAL, NOW),
        ConfirmedOrder(first, user.id, TOTAL, NOW),  # told twice in the run
    ]

    await handled(uow, count_confirmed_orders(uow, run))

    assert statistics(users, user) == (1, {"EUR": Decimal("25.00")})
    assert statistics(users, other) == (1, {"EUR": Decimal("25.00")})
    assert sorted(users.locked, key=str) == sorted([user.id, other.id], key=str)
    assert {entry.order_id for entry in ledger.entries} == {first, second}


async def test_a_run_with_orders_known_before_counts_only_the_new_ones(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    counted, withdrawn, new = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await handled(uow, confirmed(uow, counted, user))
    await handled(uow, cancelled(uow, withdrawn, user, CancelledFrom.CONFIRMED))

    run = [
        ConfirmedOrder(order_id, user.id, TOTAL, LATER) for order_id in (counted, withdrawn, new)
    ]
    await handled(uow, count_confirmed_orders(uow, run))

    assert statistics(users, user) == (2, {"EUR": Decimal("50.00")})
    assert ledger.rows[new].confirmed_at == LATER
    assert ledger.rows[counted].confirmed_at == NOW


async def test_a_run_naming_an_unknown_user_is_refused_and_changes_nothing(
    uow: FakeUnitOfWork, users: FakeUserRepository, ledger: FakeOrderLedgerRepository, user: User
) -> None:
    run = [
        ConfirmedOrder(uuid.uuid4(), user.id, TOTAL, NOW),
        ConfirmedOrder(uuid.uuid4(), uuid.uuid4(), TOTAL, NOW),
    ]
    with pytest.raises(UserNotFoundError):
        await handled(uow, count_confirmed_orders(uow, run))
    assert statistics(users, user) == (0, {})
    assert ledger.entries == []


async def test_a_rejected_order_notifies_its_user_once(
    uow: FakeUnitOfWork, notifications: FakeNotificationRepository, user: User
) -> None:
    order_id = uuid.uuid4()
    for _ in range(2):  # the same rejection, redelivered under a new event id
        await handled(
            uow,
            notify_order_rejected(
                uow, order_id=order_id, user_id=user.id, reason="out of stock", rejected_at=NOW
            ),
        )

    [notification] = notifications.notifications
    assert (notification.user_id, notification.order_id) == (user.id, order_id)
    assert notification.created_at == NOW
    assert "out of stock" in notification.message
    assert uow.outbox == []


async def test_a_rejection_for_an_unknown_user_is_not_found_and_notifies_nobody(
    uow: FakeUnitOfWork, notifications: FakeNotificationRepository
) -> None:
    with pytest.raises(UserNotFoundError):
        await handled(
            uow,
            notify_order_rejected(
                uow, order_id=uuid.uuid4(), user_id=uuid.uuid4(), reason="no", rejected_at=NOW
            ),
        )
    assert notifications.notifications == []
