"""A service's tables: the platform's migrations first, then its own files."""

from __future__ import annotations

from shared.db.migrations import Migration, migrate, service_migrations
from shared.db.pool import probe_database
from shared.service.definition import ServiceDefinition
from shared.settings import MySQLSettings


def all_migrations(service: ServiceDefinition) -> list[Migration]:
    return service_migrations(service.migrations_dir, service.migrations_namespace)


async def migrate_database(
    service: ServiceDefinition, settings: MySQLSettings, database: str | None = None
) -> list[str]:
    """Create and migrate the database; return the versions this call applied. Safe to
    call from several processes at once."""
    return await migrate(settings, database or settings.database, all_migrations(service))


async def check_database(service: ServiceDefinition, settings: MySQLSettings) -> None:
    """Raises pymysql's OperationalError (unreachable, refused) or ProgrammingError (not
    migrated) when the service's database cannot be used."""
    await probe_database(settings, table=service.readiness_table)
