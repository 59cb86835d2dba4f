"""Statements a MariaDB server ran, from ``SHOW GLOBAL STATUS``, less those of the
connection that reads them (``SHOW SESSION STATUS``): the bench's own queries on that
connection are not counted against the system."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import aiomysql

KINDS = ("select", "insert", "update", "delete", "commit", "rollback", "begin", "set_option")


@dataclass(frozen=True, slots=True)
class StatementCounts:
    total: int
    by_kind: dict[str, int]

    def minus(self, other: StatementCounts) -> StatementCounts:
        return StatementCounts(
            self.total - other.total,
            {kind: self.by_kind[kind] - other.by_kind.get(kind, 0) for kind in self.by_kind},
        )

    def scaled(self, factor: float) -> dict[str, float]:
        return {"total": self.total * factor} | {k: v * factor for k, v in self.by_kind.items()}


async def _status(connection: aiomysql.Connection, scope: str) -> Counter[str]:
    async with connection.cursor() as cursor:
        await cursor.execute(
            f"SHOW {scope} STATUS WHERE Variable_name = 'Questions'"
            " OR Variable_name IN (" + ", ".join(f"'Com_{kind}'" for kind in KINDS) + ")"
        )
        return Counter({str(name).lower(): int(value) for name, value in await cursor.fetchall()})


async def read_statements(connection: aiomysql.Connection) -> StatementCounts:
    """Every client's statements so far but this connection's."""
    server = await _status(connection, "GLOBAL")
    own = await _status(connection, "SESSION")
    server.subtract(own)
    return StatementCounts(server["questions"], {kind: server[f"com_{kind}"] for kind in KINDS})
