"""This service's database: migrations (the platform's tables first) and a start-up check."""

from __future__ import annotations

from pathlib import Path

from shared.db.migrations import Migration, migrate, service_migrations
from shared.db.pool import probe_database
from shared.settings import MySQLSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
NAMESPACE = "user_service"


def user_service_migrations() -> list[Migration]:
    return service_migrations(MIGRATIONS_DIR, NAMESPACE)


async def migrate_database(settings: MySQLSettings, database: str | None = None) -> list[str]:
    """Create and migrate the database; return the versions applied by this call."""
    return await migrate(settings, database or settings.database, user_service_migrations())


async def check_database(settings: MySQLSettings) -> None:
    """Raises pymysql's OperationalError when the migrated database cannot be used."""
    await probe_database(settings, table="users")
