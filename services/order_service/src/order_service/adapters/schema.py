"""The order-service's tables: platform migrations first, then its own files."""

from __future__ import annotations

from pathlib import Path

import aiomysql

from shared.db.migrations import Migration, load_migrations, migrate, platform_migrations
from shared.settings import MySQLSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
NAMESPACE = "order_service"


def all_migrations() -> list[Migration]:
    return platform_migrations() + load_migrations(MIGRATIONS_DIR, NAMESPACE)


async def migrate_database(settings: MySQLSettings) -> list[str]:
    """Apply what has not run yet; safe to call from several processes at once."""
    return await migrate(settings, settings.database, all_migrations())


async def probe_database(settings: MySQLSettings) -> None:
    """Connect once to the configured database; raises the driver's error when it cannot."""
    connection = await aiomysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=settings.database,
        connect_timeout=settings.connect_timeout_s,
    )
    connection.close()
