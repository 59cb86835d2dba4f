"""The MySQL link for real, through ``shared.db`` (create_pool, probe_database, migrate):
TLS as ``EDA_MYSQL__SSL_MODE`` says, verified against the CA and the host name; REQUIRED
and above fail closed against a server without TLS; every misconfiguration raises
LinkMisconfigured naming the setting, never the password; and a service migrates with
its DDL user and runs with its DML user, which cannot change the schema."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiomysql
import httpx
import pytest

from order_service.config import SERVICE as ORDER_SERVICE
from shared.db import create_pool, migrate, platform_migrations, probe_database
from shared.links import LinkMisconfigured
from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.support.mysql import (
    database_pool,
    mysql_settings_for_tests,
    server_connection,
    throwaway_database,
)
from tests.support.orders import one_item_order
from tests.support.secured.mysql import SecuredMySQL, ServiceUsers, root_connection
from tests.support.service_apps import ORDER_SERVICE as ORDER_SERVICE_NAME
from tests.support.service_apps import build_app

COMMAND_DENIED = 1142


def verified(server: SecuredMySQL, **changes: Any) -> MySQLSettings:
    """VERIFY_IDENTITY with the test CA, by the certificate's name, as root."""
    options: dict[str, Any] = {
        "host": "localhost",
        "port": server.port,
        "user": server.user,
        "password": server.password,
        "ssl_mode": "VERIFY_IDENTITY",
        "ssl_ca": server.certs.ca,
        "database": "mysql",
        "pool_max_size": 2,
    }
    return MySQLSettings(**{**options, **changes})


async def cipher(connection: aiomysql.Connection) -> str:
    async with connection.cursor() as cursor:
        await cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = await cursor.fetchone()
    return str(row[1]) if row else ""


async def pooled_cipher(settings: MySQLSettings) -> str:
    async with database_pool(settings) as pool, pool.acquire() as connection:
        return await cipher(connection)


@asynccontextmanager
async def unique_database(server: SecuredMySQL) -> AsyncIterator[str]:
    """A database name no other test uses, dropped (if it was made) at the end."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        async with root_connection(server) as connection, connection.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")


def every_path(settings: MySQLSettings) -> dict[str, Callable[[], Awaitable[object]]]:
    """The three ways shared.db connects, each to be tried on its own."""

    async def pooled() -> None:
        async with database_pool(settings) as pool, pool.acquire():
            pass

    return {
        "create_pool": pooled,
        "probe_database": lambda: probe_database(settings),
        "migrate": lambda: migrate(settings, settings.database, platform_migrations()),
    }


async def misconfigured_everywhere(settings: MySQLSettings) -> list[str]:
    messages = []
    for path, attempt in every_path(settings).items():
        try:
            await attempt()
        except LinkMisconfigured as exc:
            message = str(exc)
        else:
            raise AssertionError(f"{path} connected on {settings.host}:{settings.port}")
        assert message.startswith(f"MySQL at {settings.host}:{settings.port}: "), (path, message)
        assert "\n" not in message
        if settings.password:
            assert settings.password not in message
        messages.append(message)
    return messages


# TLS that works


async def test_verify_identity_by_host_name_migrates_probes_and_pools_over_tls(
    mysql_tls: SecuredMySQL,
) -> None:
    async with unique_database(mysql_tls) as database:
        settings = verified(mysql_tls, database=database)
        applied = await migrate(settings, database, platform_migrations())
        assert applied == [migration.version for migration in platform_migrations()]
        await probe_database(settings, table="processed_events")
        assert await pooled_cipher(settings)


async def test_verify_identity_by_ip_address_uses_the_certificate_ip_name(
    mysql_tls: SecuredMySQL,
) -> None:
    settings = verified(mysql_tls, host="127.0.0.1")
    await probe_database(settings)
    assert await pooled_cipher(settings)


async def test_preferred_encrypts_where_offered_and_falls_back_where_not(
    mysql_tls: SecuredMySQL,
) -> None:
    assert await pooled_cipher(verified(mysql_tls, ssl_mode="PREFERRED", ssl_ca=None))
    plain = mysql_settings_for_tests().model_copy(update={"ssl_mode": "PREFERRED"})
    async with throwaway_database(plain) as database:
        assert await pooled_cipher(plain.model_copy(update={"database": database})) == ""


# Misconfigured links


async def test_a_server_certificate_of_another_ca_names_the_ca_setting(
    mysql_tls: SecuredMySQL,
) -> None:
    settings = verified(mysql_tls, ssl_ca=mysql_tls.certs.other_ca)
    for message in await misconfigured_everywhere(settings):
        assert "does not verify" in message
        assert "EDA_MYSQL__SSL_CA" in message


@pytest.mark.mysql
@pytest.mark.parametrize("mode", ["REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"])
async def test_tls_required_against_a_server_without_tls_fails_closed(
    mode: str, tls_certs: Any
) -> None:
    """The local MariaDB (127.0.0.1:3306) has TLS disabled: aiomysql falls back to
    plaintext without a word, so the product must refuse the session."""
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        settings = server.model_copy(
            update={
                "database": database,
                "ssl_mode": mode,
                "ssl_ca": tls_certs.ca if mode != "REQUIRED" else None,
            }
        )
        for message in await misconfigured_everywhere(settings):
            assert "not encrypted" in message
            assert "EDA_MYSQL__SSL_MODE" in message


@pytest.mark.mysql
async def test_tls_required_fails_closed_for_a_pool_without_idle_connections() -> None:
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        settings = server.model_copy(
            update={"database": database, "ssl_mode": "REQUIRED", "pool_min_size": 0}
        )
        try:
            async with database_pool(settings) as pool, pool.acquire() as connection:
                used = await cipher(connection)
        except LinkMisconfigured as exc:
            message = str(exc)
        else:
            raise AssertionError(f"REQUIRED used a session with Ssl_cipher {used!r}")
    assert "not encrypted" in message


@pytest.mark.mysql
async def test_a_pool_refused_for_plaintext_leaves_no_connection_open() -> None:
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as database:
        settings = server.model_copy(update={"database": database, "ssl_mode": "REQUIRED"})
        try:
            await create_pool(settings)
        except LinkMisconfigured:
            pass
        else:
            raise AssertionError("REQUIRED made a pool on a server without TLS")
        async with server_connection(server) as connection, connection.cursor() as cursor:
            await cursor.execute(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = %s", (database,)
            )
            (still_open,) = await cursor.fetchone()
    assert still_open == 0, f"{still_open} connection(s) left open on {database}"


async def test_tls_disabled_against_a_server_requiring_it_names_the_ssl_mode(
    mysql_tls: SecuredMySQL,
) -> None:
    settings = verified(mysql_tls, ssl_mode="DISABLED", ssl_ca=None)
    for message in await misconfigured_everywhere(settings):
        assert "EDA_MYSQL__SSL_MODE" in message


async def test_a_wrong_password_names_the_user_and_password_settings(
    mysql_tls: SecuredMySQL,
) -> None:
    settings = verified(mysql_tls, password=f"made-up-{uuid.uuid4().hex}")
    for message in await misconfigured_everywhere(settings):
        assert f"refused user {mysql_tls.user!r}" in message
        assert "EDA_MYSQL__USER" in message
        assert "EDA_MYSQL__PASSWORD" in message


# The service's DDL and DML users


async def test_a_service_migrates_as_ddl_user_and_runs_as_dml_user_over_tls(
    mysql_tls: SecuredMySQL, mysql_service_users: ServiceUsers
) -> None:
    users = mysql_service_users
    ddl = verified(
        mysql_tls, user=users.ddl.name, password=users.ddl.password, database=users.database
    )
    dml = ddl.model_copy(update={"user": users.dml.name, "password": users.dml.password})

    applied = await migrate_database(ORDER_SERVICE, ddl)
    assert any(version.startswith("order_service:") for version in applied)

    app, _ = build_app(ORDER_SERVICE_NAME, dml)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://orders") as client:
            placed = await client.post(
                "/orders",
                json=one_item_order(str(uuid.uuid4()), sku="BOOK-1", quantity=1, unit_price="2.00"),
            )
            assert placed.status_code == 202, placed.text
            read = await client.get(f"/orders/{placed.json()['id']}")
            assert read.status_code == 200, read.text

        pool: aiomysql.Pool = app.state.runtime.pool
        async with pool.acquire() as connection:
            assert await cipher(connection)
            async with connection.cursor() as cursor:
                await cursor.execute("SELECT COUNT(*) FROM orders")
                assert await cursor.fetchone() == (1,)
                for statement in (
                    "ALTER TABLE orders ADD COLUMN note VARCHAR(10) NULL",
                    "CREATE TABLE sneaky (id INT PRIMARY KEY)",
                    "DROP TABLE orders",
                ):
                    with pytest.raises(aiomysql.OperationalError) as denied:
                        await cursor.execute(statement)
                    assert denied.value.args[0] == COMMAND_DENIED, (statement, denied.value)
                    assert "denied" in str(denied.value.args[1])
