"""One transaction on one pooled connection: commit explicitly, roll back otherwise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from types import TracebackType
from typing import Any
from weakref import WeakKeyDictionary

import aiomysql

_ISOLATION_LEVELS = {"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"}
DEFAULT_ISOLATION = "REPEATABLE READ"  # InnoDB's own default
# The session isolation each pooled connection was last given: set only when it changes.
_session_isolation: WeakKeyDictionary[aiomysql.Connection, str] = WeakKeyDictionary()


Statement = tuple[str, Sequence[Any]]
"""Parametrised SQL (``%s`` markers) and its values."""


@dataclass(frozen=True, slots=True)
class StatementResult:
    affected: int
    rows: list[tuple[Any, ...]]


class UnitOfWork:
    """The transaction opens with its first statement (the pool's connections have
    autocommit off): no ``BEGIN`` round trip. ``isolation`` defaults to REPEATABLE READ."""

    def __init__(self, pool: aiomysql.Pool, isolation: str | None = None) -> None:
        if isolation is not None and isolation not in _ISOLATION_LEVELS:
            raise ValueError(f"isolation must be one of {sorted(_ISOLATION_LEVELS)}")
        self._pool = pool
        self._isolation = isolation or DEFAULT_ISOLATION
        self._connection: aiomysql.Connection | None = None
        self._committed = False
        self.wrote_outbox = False
        """Set by the outbox writer: the commit has events for the relay."""

    @property
    def connection(self) -> aiomysql.Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not open")
        return self._connection

    async def __aenter__(self) -> UnitOfWork:
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
        self._connection = connection
        self._committed = False
        self.wrote_outbox = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self.connection
        self._connection = None
        try:
            if not self._committed:
                await connection.rollback()
        except Exception:
            connection.close()  # a broken connection must not go back to the pool
        finally:
            self._pool.release(connection)

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
        await self.connection.commit()
        self._committed = True

    async def commit_after(self, statements: Sequence[Statement]) -> list[StatementResult]:
        """Run the statements and commit, in one round trip; nothing is committed if one
        of them fails (the transaction stays open, and rolls back unless committed)."""
        results = await self.execute_batch([*statements, ("COMMIT", ())])
        self._committed = True
        return results[:-1]
