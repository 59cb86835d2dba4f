"""This service's database: migrations (the platform's tables first) and a start-up check."""

from __future__ import annotations

from pathlib import Path

import aiomysql

from shared.db.migrations import Migration, load_migrations, migrate, platform_migrations
from shared.settings import MySQLSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
NAMESPACE = "user_service"


def user_service_migrations() -> list[Migration]:
    return platform_migrations() + load_migrations(MIGRATIONS_DIR, NAMESPACE)


async def migrate_database(settings: MySQLSettings, database: str | None = None) -> list[str]:
    """Create and migrate the database; return the versions applied by this call."""
    return await migrate(settings, database or settings.database, user_service_migrations())


async def check_database(settings: MySQLSettings) -> None:
    """Connect once; raises pymysql's OperationalError when the database cannot be used."""
    connection = await aiomysql.connect(
        host=settings.host,
        port=settings.port,
        user=settings.user,
        password=settings.password,
        db=settings.database,
        connect_timeout=settings.connect_timeout_s,
    )
    try:
        async with connection.cursor() as cursor:
            await cursor.execute("SELECT 1 FROM users LIMIT 1")
    finally:
        connection.close()
