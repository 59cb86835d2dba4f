"""Servers every test layer shares: one Tansu broker per session, throwaway MySQL
databases with the platform tables (outbox, processed events) migrated."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiomysql
import pytest

from eda_local.tansu import running_tansu
from shared.db import migrate, platform_migrations
from tests.support.mysql import database_pool, mysql_settings_for_tests, throwaway_database

# Secured servers (TLS terminators, a MariaDB requiring TLS, a token endpoint), started
# only by the tests that ask for them.
pytest_plugins = ["tests.support.secured.fixtures"]


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Kafka address: EDA_TEST_KAFKA_BOOTSTRAP if set, else a private Tansu on a free port."""
    configured = os.environ.get("EDA_TEST_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    log_path = Path(tmp_path_factory.mktemp("tansu")) / "tansu.log"
    with running_tansu(log_path=log_path) as address:
        yield address


@pytest.fixture
async def mysql_pool() -> AsyncIterator[aiomysql.Pool]:
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        await migrate(settings, database, platform_migrations())
        async with database_pool(settings, database) as pool:
            yield pool
