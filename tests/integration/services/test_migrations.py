"""Each service's migrations: the platform's tables first, once each, idempotent, safe
from two processes at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.integration.services.migrations import EXPECTED
from tests.support.mysql import mysql_settings_for_tests, server_connection, throwaway_database
from tests.support.service_apps import UNDER_TEST


@pytest.fixture
async def empty() -> AsyncIterator[MySQLSettings]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        yield settings.model_copy(update={"database": database})


async def recorded_versions(settings: MySQLSettings) -> list[tuple[str, int]]:
    async with (
        server_connection(settings, settings.database) as connection,
        connection.cursor() as cursor,
    ):
        await cursor.execute(
            "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version"
        )
        return [(version, count) for version, count in await cursor.fetchall()]


@pytest.mark.mysql
async def test_a_second_run_applies_nothing(service_name: str, empty: MySQLSettings) -> None:
    definition = UNDER_TEST[service_name].definition
    assert await migrate_database(definition, empty) == EXPECTED[service_name]
    assert await migrate_database(definition, empty) == []
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])


@pytest.mark.mysql
async def test_two_concurrent_runs_both_succeed_and_record_each_migration_once(
    service_name: str, empty: MySQLSettings
) -> None:
    definition = UNDER_TEST[service_name].definition
    first, second = await asyncio.gather(
        migrate_database(definition, empty), migrate_database(definition, empty)
    )
    assert sorted([first, second], key=len) == [[], EXPECTED[service_name]]
    assert await recorded_versions(empty) == sorted((v, 1) for v in EXPECTED[service_name])
