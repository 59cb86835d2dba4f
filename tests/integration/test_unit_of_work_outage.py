"""A unit of work whose first statement fails (the database link is gone) gives its
connection back: the pool still closes, so a service can shut down after an outage."""

from __future__ import annotations

import asyncio

import pymysql
import pytest

from shared.db import UnitOfWork, create_pool
from tests.support.fault_proxy import fault_proxy
from tests.support.mysql import mysql_settings_for_tests, throwaway_database

# A unit of work on a throwaway database.
pytestmark = [pytest.mark.mysql]


@pytest.mark.parametrize("isolation", [None, "READ COMMITTED"])
async def test_a_failed_start_returns_the_connection_to_the_pool(isolation: str | None) -> None:
    direct = mysql_settings_for_tests()
    async with (
        throwaway_database(direct) as database,
        fault_proxy(direct.host, direct.port) as link,
    ):
        settings = direct.model_copy(
            update={"port": link.port, "database": database, "pool_min_size": 1}
        )
        pool = await create_pool(settings)
        async with UnitOfWork(pool) as uow:  # a healthy pooled connection exists
            assert await uow.fetchone("SELECT 1") == (1,)
        link.cut()
        with pytest.raises((pymysql.err.OperationalError, pymysql.err.InterfaceError)):
            async with UnitOfWork(pool, isolation=isolation) as uow:
                await uow.fetchone("SELECT 1")
        assert pool.size - pool.freesize == 0, "a connection is still checked out"
        pool.close()
        await asyncio.wait_for(pool.wait_closed(), timeout=5)
