"""The order-service's app with its customer projection at hand: the tests record a
user.registered there as its subscriber would, identity key included."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from uuid import uuid4

import aiomysql
import httpx

from order_service.service_layer import customers
from shared.auth_settings import AuthSettings
from shared.db import UnitOfWork
from shared.identity import identity_key
from shared.service import utc_now
from tests.integration.auth.apps import migrated_database, orders_app, serving
from tests.support.jwt_keys import ISSUER


@dataclass(frozen=True)
class OrdersWithCustomers:
    client: httpx.AsyncClient
    pool: aiomysql.Pool

    async def registered(self, subject: str | None, *, issuer: str = ISSUER) -> str:
        """A new customer, registered by ``(issuer, subject)`` (None: by an admin for
        nobody); its user id."""
        user_id = uuid4()
        key = identity_key(issuer, subject) if subject is not None else None
        async with UnitOfWork(self.pool) as uow:
            await customers.record_registration(
                uow,
                user_id=user_id,
                email=f"{user_id.hex}@example.com",
                at=utc_now(),
                identity_key=key,
            )
            await uow.commit()
        return str(user_id)


@asynccontextmanager
async def orders_with_customers(auth: AuthSettings) -> AsyncIterator[OrdersWithCustomers]:
    async with migrated_database("orders") as mysql:
        app = orders_app(mysql, auth)
        async with serving(app, "orders") as client:
            yield OrdersWithCustomers(client, app.state.runtime.pool)
