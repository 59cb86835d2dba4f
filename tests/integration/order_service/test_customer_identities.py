"""The identity key of user.registered in the customer projection, through the runner's
idempotent wrapper on MariaDB: kept whichever fact comes first, absent from events that
do not carry it, and what the order-service's checks read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aiomysql

from order_service.service_layer import queries
from shared.envelope import Envelope, wrap
from shared.events import UserRegisteredV1
from shared.identity import identity_key
from shared.service import UseCaseContext
from tests.integration.order_service.handler_support import (
    USER_SERVICE,
    customer_of,
    user_deactivated,
)
from tests.support.delivery import TRACEPARENT, deliver

KEY = identity_key("https://login.example.test/", "auth0|abc")


def registered_by(user_id: uuid.UUID, key: str | None) -> Envelope:
    event = UserRegisteredV1(
        user_id=user_id,
        email="ada@example.com",
        name="Ada",
        registered_at=datetime.now(UTC),
        identity_key=key,
    )
    return wrap(event, source=USER_SERVICE, traceparent=TRACEPARENT)


async def test_the_registrations_identity_key_is_what_the_checks_read(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    assert await queries.customer_identity(context, user_id) is None  # not known yet
    await deliver(pool, registered_by(user_id, KEY))
    assert await queries.customer_identity(context, user_id) == KEY


async def test_the_key_survives_a_deactivation_handled_before_or_after(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    await deliver(pool, registered_by(first, KEY))
    await deliver(pool, user_deactivated(first))
    await deliver(pool, user_deactivated(second))
    await deliver(pool, registered_by(second, KEY))
    for user_id in (first, second):
        assert await customer_of(pool, user_id) == ("ada@example.com", False)
        assert await queries.customer_identity(context, user_id) == KEY


async def test_a_registration_without_a_key_leaves_the_customer_to_admins(
    pool: aiomysql.Pool, context: UseCaseContext
) -> None:
    user_id = uuid.uuid4()
    await deliver(pool, registered_by(user_id, None))
    assert await customer_of(pool, user_id) == ("ada@example.com", True)
    assert await queries.customer_identity(context, user_id) is None
