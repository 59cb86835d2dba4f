"""The order-service's tables: platform migrations first, then its own files."""

from __future__ import annotations

from pathlib import Path

from shared.db.migrations import Migration, migrate, service_migrations
from shared.db.pool import probe_database as probe
from shared.settings import MySQLSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
NAMESPACE = "order_service"


def all_migrations() -> list[Migration]:
    return service_migrations(MIGRATIONS_DIR, NAMESPACE)


async def migrate_database(settings: MySQLSettings) -> list[str]:
    """Apply what has not run yet; safe to call from several processes at once."""
    return await migrate(settings, settings.database, all_migrations())


async def probe_database(settings: MySQLSettings) -> None:
    """Connect once to the configured database; raises the driver's error when it cannot."""
    await probe(settings)
