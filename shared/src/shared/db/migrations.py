"""Versioned SQL migrations, applied once each, in order, by one process at a time.

A migration is a file ``NNNN_description.sql``. The platform's own tables
(outbox, processed events, HTTP idempotency keys) come first under the ``shared``
namespace, then the service's. ``schema_migrations`` records what ran with a
checksum; an applied file that changed afterwards is an error, not a silent skip. A
MySQL named lock serialises concurrent runs (two pods running the Helm hook at once).

A migration that took over the job of earlier ones (a table once created by each
service, now by the platform) names them in a header line
``-- replaces: service_a:0003_x, service_b:0004_x``. On a database where one of them
is recorded it is recorded as applied without running: its SQL is already there.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiomysql
import pymysql

from shared.links.mysql import connect_mysql
from shared.settings import MySQLSettings

log = logging.getLogger(__name__)

PLATFORM_MIGRATIONS_DIR = Path(__file__).parent / "sql"
_FILE_NAME = re.compile(r"^(?P<number>[0-9]{4})_(?P<name>[a-z0-9_]+)\.sql$")
_DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_STATEMENT_END = re.compile(r";[ \t]*(?:\n|$)")
_REPLACES = re.compile(r"^--[ \t]*replaces:(?P<versions>.*)$", re.MULTILINE)
# CR_CONNECTION_ERROR, CR_CONN_HOST_ERROR, CR_SERVER_LOST: nothing answers yet.
_SERVER_NOT_UP = {2002, 2003, 2013}
_SERVER_RETRY_S = 2.0

HISTORY_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version VARCHAR(100) NOT NULL PRIMARY KEY,
    checksum CHAR(64) NOT NULL,
    applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB
"""


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Migration:
    version: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()

    @property
    def replaces(self) -> frozenset[str]:
        """Versions whose effect this migration repeats (the module docstring)."""
        return frozenset(
            version.strip()
            for line in _REPLACES.finditer(self.sql)
            for version in line["versions"].split(",")
            if version.strip()
        )

    def statements(self) -> list[str]:
        without_comments = "\n".join(
            line for line in self.sql.splitlines() if not line.lstrip().startswith("--")
        )
        return [part.strip() for part in _STATEMENT_END.split(without_comments) if part.strip()]


def load_migrations(directory: Path, namespace: str) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path}: migration files are named NNNN_description.sql")
        migrations.append(Migration(f"{namespace}:{path.stem}", path.read_text()))
    return migrations


def platform_migrations() -> list[Migration]:
    return load_migrations(PLATFORM_MIGRATIONS_DIR, "shared")


def service_migrations(directory: Path, namespace: str) -> list[Migration]:
    """A service's migrations, after the platform's tables it relies on."""
    return platform_migrations() + load_migrations(directory, namespace)


async def migrate(
    settings: MySQLSettings,
    database: str,
    migrations: Sequence[Migration],
    lock_timeout_s: int = 120,
) -> list[str]:
    """Create the database if needed and apply what has not run; return the versions applied."""
    if not _DATABASE_NAME.match(database):
        raise MigrationError(f"database name {database!r} must be letters, digits or '_'")
    connection = await _connect_when_up(settings)
    try:
        async with connection.cursor() as cursor:
            await cursor.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (database,)
            )
            if await cursor.fetchone() is None:  # IF NOT EXISTS would warn on every run
                await cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{database}`")
            await cursor.execute(f"USE `{database}`")
            await cursor.execute("SELECT GET_LOCK(%s, %s)", (f"migrate:{database}", lock_timeout_s))
            (locked,) = await cursor.fetchone()
            if locked != 1:
                raise MigrationError(f"another migration held the lock for {lock_timeout_s}s")
            try:
                return await _apply_pending(cursor, migrations)
            finally:
                await cursor.execute("SELECT RELEASE_LOCK(%s)", (f"migrate:{database}",))
    finally:
        connection.close()


async def _connect_when_up(settings: MySQLSettings) -> aiomysql.Connection:
    """A connection, retried while the server does not accept them yet, for up to
    ``settings.server_wait_s``; any other refusal (a wrong password) fails at once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.server_wait_s
    while True:
        try:
            return await connect_mysql(settings, autocommit=True)
        except pymysql.err.OperationalError as exc:
            left = deadline - loop.time()
            if exc.args[0] not in _SERVER_NOT_UP or left <= 0:
                raise
            log.warning(
                "MySQL at %s:%s does not accept connections yet (%s); retrying for %.0f s",
                settings.host, settings.port, exc.args[-1], left,
            )  # fmt: skip
            await asyncio.sleep(min(_SERVER_RETRY_S, left))


async def _apply_pending(cursor: aiomysql.Cursor, migrations: Sequence[Migration]) -> list[str]:
    await cursor.execute("SHOW TABLES LIKE 'schema_migrations'")
    if await cursor.fetchone() is None:  # IF NOT EXISTS alone warns on every later run
        await cursor.execute(HISTORY_DDL)
    await cursor.execute("SELECT version, checksum FROM schema_migrations")
    applied = dict(await cursor.fetchall())
    done = []
    for migration in migrations:
        recorded = applied.get(migration.version)
        if recorded is not None:
            if recorded != migration.checksum:
                raise MigrationError(
                    f"{migration.version} was changed after it was applied; "
                    "add a new migration instead of editing an applied one"
                )
            continue
        adopted = sorted(migration.replaces & applied.keys())
        if adopted:
            log.info("recording migration %s: %s applied it", migration.version, adopted[0])
        else:
            log.info("applying migration %s", migration.version)
            for statement in migration.statements():
                await cursor.execute(statement)
        await cursor.execute(
            "INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
            (migration.version, migration.checksum),
        )
        done.append(migration.version)
    return done
