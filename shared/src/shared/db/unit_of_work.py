"""One transaction on one pooled connection: commit explicitly, roll back otherwise."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain
from types import TracebackType
from typing import Any, Protocol, TypeVar
from weakref import WeakKeyDictionary

import aiomysql

_ISOLATION_LEVELS = {"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"}
DEFAULT_ISOLATION = "REPEATABLE READ"  # InnoDB's own default
# The session isolation each pooled connection was last given: set only when it changes.
_session_isolation: WeakKeyDictionary[aiomysql.Connection, str] = WeakKeyDictionary()


_Repository = TypeVar("_Repository")

Statement = tuple[str, Sequence[Any]]
"""Parametrised SQL (``%s`` markers) and its values."""


@dataclass(frozen=True, slots=True)
class StatementResult:
    affected: int
    rows: list[tuple[Any, ...]]


class ConnectionSource(Protocol):
    """Where a unit of work's connection comes from, and what its commit and its end do."""

    async def acquire(self) -> aiomysql.Connection: ...

    async def commit(self, connection: aiomysql.Connection) -> None: ...

    async def release(self, connection: aiomysql.Connection, *, committed: bool) -> None: ...

    def outbox_written(self) -> None:
        """The transaction now holds outbox rows."""


def _no_op() -> None:
    return None


class PooledConnection:
    """A connection of its own from the pool, at the given isolation, for one transaction."""

    def __init__(self, pool: aiomysql.Pool, isolation: str | None = None) -> None:
        if isolation is not None and isolation not in _ISOLATION_LEVELS:
            raise ValueError(f"isolation must be one of {sorted(_ISOLATION_LEVELS)}")
        self._pool = pool
        self._isolation = isolation or DEFAULT_ISOLATION

    async def acquire(self) -> aiomysql.Connection:
        connection = await self._pool.acquire()
        try:
            if _session_isolation.get(connection, DEFAULT_ISOLATION) != self._isolation:
                async with connection.cursor() as cursor:
                    await cursor.execute(
                        f"SET SESSION TRANSACTION ISOLATION LEVEL {self._isolation}"
                    )
                _session_isolation[connection] = self._isolation
        except BaseException:
            # __aexit__ does not run when __aenter__ fails: give the connection back
            # here (closed, it may be broken), or the pool never finishes closing.
            connection.close()
            self._pool.release(connection)
            raise
        return connection

    async def commit(self, connection: aiomysql.Connection) -> None:
        await connection.commit()

    async def release(self, connection: aiomysql.Connection, *, committed: bool) -> None:
        try:
            if not committed:
                await connection.rollback()
        except Exception:
            connection.close()  # a broken connection must not go back to the pool
        finally:
            self._pool.release(connection)

    def outbox_written(self) -> None:
        return None


class UnitOfWork:
    """The transaction opens with its first statement (the pool's connections have
    autocommit off): no ``BEGIN`` round trip. ``isolation`` defaults to REPEATABLE READ.

    ``after_outbox_commit`` runs after each commit of a transaction that wrote outbox
    rows (the relay's wake), so that no use case has to remember it. ``on`` runs the
    unit of work on another ``ConnectionSource`` (a request's shared transaction)."""

    def __init__(
        self,
        pool: aiomysql.Pool,
        isolation: str | None = None,
        *,
        after_outbox_commit: Callable[[], None] = _no_op,
    ) -> None:
        self._source: ConnectionSource = PooledConnection(pool, isolation)
        self._after_outbox_commit = after_outbox_commit
        self._connection: aiomysql.Connection | None = None
        self._committed = False
        self._wrote_outbox = False

    @property
    def wrote_outbox(self) -> bool:
        """Set by the outbox writer: the commit has events for the relay."""
        return self._wrote_outbox

    @wrote_outbox.setter
    def wrote_outbox(self, wrote: bool) -> None:
        self._wrote_outbox = wrote
        if wrote:
            self._source.outbox_written()

    @classmethod
    def on(cls, source: ConnectionSource) -> UnitOfWork:
        uow = cls.__new__(cls)
        uow._source = source
        uow._after_outbox_commit = _no_op
        uow._connection = None
        uow._committed = False
        uow._wrote_outbox = False
        return uow

    @property
    def connection(self) -> aiomysql.Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    async def __aenter__(self) -> UnitOfWork:
        self._connection = await self._source.acquire()
        self._committed = False
        self._wrote_outbox = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self.connection
        self._connection = None
        await self._source.release(connection, committed=self._committed)

    def repository(self, kind: Callable[[UnitOfWork], _Repository]) -> _Repository:
        """``kind``'s repository on this transaction. The use cases ask for their
        repositories here rather than building them, so a fake unit of work can hand out
        fakes (decision 38)."""
        return kind(self)

    async def execute(self, sql: str, args: Any = None) -> int:
        """Run parametrised SQL; return the affected row count."""
        async with self.connection.cursor() as cursor:
            return int(await cursor.execute(sql, args))

    async def fetchone(self, sql: str, args: Any = None) -> tuple[Any, ...] | None:
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, args)
            row = await cursor.fetchone()
            return tuple(row) if row is not None else None

    async def fetchall(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, args)
            return [tuple(row) for row in await cursor.fetchall()]

    async def execute_batch(self, statements: Sequence[Statement]) -> list[StatementResult]:
        """Run the statements in one round trip (aiomysql's connections allow several
        statements in one query) and return each one's result, in order. The server runs
        them in order and stops at the first that fails, whose error is raised here: a
        ``COMMIT`` at the end runs only if every statement before it succeeded."""
        sql = ";\n".join(query for query, _ in statements)
        values = tuple(chain.from_iterable(args for _, args in statements))
        results: list[StatementResult] = []
        async with self.connection.cursor() as cursor:
            await cursor.execute(sql, values)
            while True:
                rows = [tuple(row) for row in await cursor.fetchall()] if cursor.description else []
                results.append(StatementResult(int(cursor.rowcount), rows))
                if not await cursor.nextset():
                    return results

    async def commit(self) -> None:
        await self._source.commit(self.connection)
        self._committed = True
        if self.wrote_outbox:
            self._after_outbox_commit()

    async def commit_after(self, statements: Sequence[Statement]) -> list[StatementResult]:
        """Run the statements and commit, in one round trip; nothing is committed if one
        of them fails (the transaction stays open, and rolls back unless committed)."""
        results = await self.execute_batch([*statements, ("COMMIT", ())])
        self._committed = True
        if self.wrote_outbox:
            self._after_outbox_commit()
        return results[:-1]
