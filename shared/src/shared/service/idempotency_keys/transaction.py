"""The one connection and transaction of a request that holds an idempotency key.

The key is claimed on the connection first (``store.claim``); then every unit of work
the request's use cases open shares its one transaction. A use case's ``commit`` only
marks it for commit: the middleware writes the response beside the change and then
commits both, so that a commit stores all of them or none. A unit of work that ends
without commit rolls back, as its own transaction would; one opened after a commit
was asked for is refused, since it could not be rolled back alone. The outbox writer's
``wrote_outbox`` reaches the request's transaction through them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import MutableMapping
from typing import Any

import aiomysql
from starlette.requests import Request

from shared.db.unit_of_work import UnitOfWork
from shared.service.context import UseCaseContext

_STATE_KEY = "idempotent_transaction"


class RequestTransaction:
    def __init__(self, pool: aiomysql.Pool) -> None:
        self._pool = pool
        self._uow: UnitOfWork | None = None
        self.commit_asked = False
        self.wrote_outbox = False
        """Set through the units of work the outbox writer wrote to, cleared by a rollback."""

    def context_for(self, context: UseCaseContext) -> UseCaseContext:
        return dataclasses.replace(context, unit_of_work=self._unit_of_work)

    def install(self, scope: MutableMapping[str, Any]) -> dict[str, Any]:
        """``scope`` with this transaction in its request state, for ``request_transaction``."""
        return {**scope, "state": {**scope.get("state", {}), _STATE_KEY: self}}

    async def open(self) -> UnitOfWork:
        """The request's connection, taken from the pool once; the claim runs on it."""
        if self._uow is None:
            uow = UnitOfWork(self._pool)
            await uow.__aenter__()
            self._uow = uow
        return self._uow

    @property
    def open_unit_of_work(self) -> UnitOfWork:
        if self._uow is None:
            raise RuntimeError("no unit of work was opened")
        return self._uow

    async def close(self) -> None:
        """Roll back what was not committed and give the connection back."""
        if self._uow is not None:
            uow, self._uow = self._uow, None
            await uow.__aexit__(None, None, None)

    def _unit_of_work(self) -> UnitOfWork:
        return UnitOfWork.on(_SharedConnection(self))

    async def _connection(self) -> aiomysql.Connection:
        if self.commit_asked:
            raise RuntimeError("a request with an idempotency key commits one unit of work")
        return (await self.open()).connection

    async def _roll_back(self) -> None:
        self.wrote_outbox = False
        if self._uow is not None:
            # A broken connection is found again, and discarded, by close().
            with contextlib.suppress(Exception):
                await self._uow.connection.rollback()


class _SharedConnection:
    """The request's one connection as a ``ConnectionSource``: a commit is only asked
    for, and the end of a unit of work without one rolls the transaction back."""

    def __init__(self, transaction: RequestTransaction) -> None:
        self._transaction = transaction

    async def acquire(self) -> aiomysql.Connection:
        return await self._transaction._connection()

    async def commit(self, connection: aiomysql.Connection) -> None:
        self._transaction.commit_asked = True

    def outbox_written(self) -> None:
        self._transaction.wrote_outbox = True

    async def release(self, connection: aiomysql.Connection, *, committed: bool) -> None:
        if not committed:
            await self._transaction._roll_back()


def request_transaction(request: Request) -> RequestTransaction | None:
    """The transaction the request's idempotency key opened, if it has one."""
    found = request.scope.get("state", {}).get(_STATE_KEY)
    return found if isinstance(found, RequestTransaction) else None
