"""Events of the users context for the order-service's handlers, and what they left."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import aiomysql

from shared.db import UnitOfWork
from shared.envelope import Envelope, wrap
from shared.events import UserDeactivatedV1, UserRegisteredV1
from tests.support.delivery import TRACEPARENT

USER_SERVICE = "urn:eda:user-service"


def user_registered(user_id: uuid.UUID, email: str = "ada@example.com") -> Envelope:
    event = UserRegisteredV1(
        user_id=user_id, email=email, name="Ada Lovelace", registered_at=datetime.now(UTC)
    )
    return wrap(event, source=USER_SERVICE, traceparent=TRACEPARENT)


def user_deactivated(user_id: uuid.UUID) -> Envelope:
    event = UserDeactivatedV1(user_id=user_id, deactivated_at=datetime.now(UTC))
    return wrap(
        event, source=USER_SERVICE, correlation_id=f"deactivate-{user_id}", traceparent=TRACEPARENT
    )


async def customer_of(pool: aiomysql.Pool, user_id: uuid.UUID) -> tuple[str | None, bool] | None:
    """(email, active) of the customer projection, or None if the user is unknown here."""
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(
            "SELECT email, active FROM customers WHERE user_id = %s", (str(user_id),)
        )
    return None if row is None else (row[0], bool(row[1]))


async def processed(pool: aiomysql.Pool, event_id: str) -> list[str]:
    """The subscribers that claimed the event."""
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall(
            "SELECT subscriber FROM processed_events WHERE event_id = %s", (event_id,)
        )
    return [subscriber for (subscriber,) in rows]
