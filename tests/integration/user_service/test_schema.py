"""The user-service's own tables: the database itself refuses negative statistics."""

from __future__ import annotations

import aiomysql
import pymysql
import pytest

from shared.db import UnitOfWork


async def insert_user_u1(uow: UnitOfWork) -> None:
    await uow.execute(
        "INSERT INTO users (id, email, name, status, created_at)"
        " VALUES ('u1', 'a@b.c', 'A', 'active', NOW(6))"
    )


async def test_the_database_refuses_negative_spend(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        await insert_user_u1(uow)
        with pytest.raises(pymysql.err.OperationalError, match="user_spend_not_negative"):
            await uow.execute(
                "INSERT INTO user_spend (user_id, currency, amount) VALUES ('u1', 'EUR', -1)"
            )


async def test_the_database_refuses_a_negative_order_count(pool: aiomysql.Pool) -> None:
    async with UnitOfWork(pool) as uow:
        await insert_user_u1(uow)
        with pytest.raises(pymysql.err.OperationalError, match="out of range"):
            await uow.execute("UPDATE users SET orders_count = orders_count - 1")
