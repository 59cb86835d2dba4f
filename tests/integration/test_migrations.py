"""Versioned migrations on the real MariaDB: once each, in order, safe concurrently."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pymysql
import pytest

from eda_local.tansu import free_port
from shared.db.migrations import (
    Migration,
    MigrationError,
    load_migrations,
    migrate,
    platform_migrations,
)
from shared.links import LinkMisconfigured
from shared.settings import MySQLSettings
from tests.support.fault_proxy import fault_proxy
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.polling import eventually


@pytest.fixture
def settings() -> MySQLSettings:
    return mysql_settings_for_tests()


@pytest.fixture
async def database(settings: MySQLSettings) -> AsyncIterator[str]:
    async with throwaway_database(settings) as name:
        yield name


def service_migrations(tmp_path: Path) -> list[Migration]:
    (tmp_path / "0001_things.sql").write_text(
        "-- things we keep\nCREATE TABLE things (id INT PRIMARY KEY);\n"
        "INSERT INTO things VALUES (1);\nINSERT INTO things VALUES (2);\n"
    )
    (tmp_path / "0002_more.sql").write_text("ALTER TABLE things ADD COLUMN label TEXT;\n")
    return load_migrations(tmp_path, "things")


@pytest.mark.mysql
async def test_a_second_run_applies_nothing(
    settings: MySQLSettings, database: str, tmp_path: Path
) -> None:
    migrations = platform_migrations() + service_migrations(tmp_path)
    first = await migrate(settings, database, migrations)
    second = await migrate(settings, database, migrations)
    assert first == [
        "shared:0001_processed_events",
        "shared:0002_outbox",
        "shared:0003_idempotency_keys",
        "shared:0004_idempotency_claim_held",
        "things:0001_things",
        "things:0002_more",
    ]
    assert second == []


@pytest.mark.mysql
async def test_concurrent_runs_apply_each_migration_once(
    settings: MySQLSettings, database: str, tmp_path: Path
) -> None:
    migrations = platform_migrations() + service_migrations(tmp_path)
    results = await asyncio.gather(*(migrate(settings, database, migrations) for _ in range(3)))
    applied = [version for result in results for version in result]
    assert sorted(applied) == sorted(m.version for m in migrations)


@pytest.mark.mysql
async def test_a_migration_edited_after_it_ran_is_refused(
    settings: MySQLSettings, database: str, tmp_path: Path
) -> None:
    await migrate(settings, database, service_migrations(tmp_path))
    (tmp_path / "0002_more.sql").write_text("ALTER TABLE things ADD COLUMN other TEXT;\n")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await migrate(settings, database, load_migrations(tmp_path, "things"))


def test_a_misnamed_migration_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "add-things.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_description"):
        load_migrations(tmp_path, "things")


async def test_an_unsafe_database_name_is_refused(settings: MySQLSettings) -> None:
    with pytest.raises(MigrationError, match="database name"):
        await migrate(settings, "users`; DROP DATABASE x; --", [])


def test_statements_split_on_semicolons_at_line_ends_and_comments_are_dropped() -> None:
    migration = Migration("x:0001", "-- note\nCREATE TABLE a (v TEXT DEFAULT 'a;b');\nSELECT 1;")
    assert migration.statements() == ["CREATE TABLE a (v TEXT DEFAULT 'a;b')", "SELECT 1"]


@pytest.mark.mysql
async def test_migrate_waits_for_a_server_that_is_not_up_yet(
    settings: MySQLSettings, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A pod beside the in-chart MySQL starts before the server accepts connections."""
    port = free_port()
    waiting = settings.model_copy(update={"host": "127.0.0.1", "port": port, "server_wait_s": 60})
    run = asyncio.create_task(migrate(waiting, database, platform_migrations()))
    await eventually(
        lambda: "does not accept connections yet" in caplog.text, what="a retry logged"
    )
    assert not run.done()
    async with fault_proxy(settings.host, settings.port, port=port):
        applied = await asyncio.wait_for(run, timeout=60)
    assert applied == [m.version for m in platform_migrations()]


@pytest.mark.mysql
async def test_migrate_without_a_wait_fails_at_once_and_a_refused_login_never_waits(
    settings: MySQLSettings, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = settings.model_copy(update={"host": "127.0.0.1", "port": free_port()})
    with pytest.raises(pymysql.err.OperationalError) as refused:
        await migrate(closed, database, platform_migrations())
    assert refused.value.args[0] == 2003
    wrong = settings.model_copy(update={"password": "not-the-password", "server_wait_s": 600})
    with pytest.raises(LinkMisconfigured) as denied:
        await migrate(wrong, database, platform_migrations())
    assert "EDA_MYSQL__USER and EDA_MYSQL__PASSWORD" in str(denied.value)
    assert "not-the-password" not in str(denied.value)
    assert "does not accept connections yet" not in caplog.text
