"""``subscriber`` and ``<service> serve`` as real processes (the installed console
scripts) on secured servers: one thing wrong in the environment ends each within a
deadline, non-zero, with one line on stderr naming the link, its address and the
setting, no traceback and no secret; everything right, the service becomes ready."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from eda_local.tansu import free_port
from order_service.config import SERVICE as ORDER_SERVICE
from shared.service import migrate_database
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.polling import eventually
from tests.support.secured.kafka import SecuredKafka
from tests.support.secured.mysql import SecuredMySQL, ServiceUsers, root_connection
from tests.support.secured.rabbitmq import SecuredRabbitMQ
from user_service.config import SERVICE as USER_SERVICE

BIN = Path(sys.executable).parent
EXIT_DEADLINE_S = 60.0
# order.confirmed is handled by the user-service's context, on its database.
SUBSCRIBED = "order.confirmed"
# The libraries' records below ERROR (aiokafka's "Subscribed to ...", say) are not the
# process's account of the failure; one at ERROR or above is a second account of it
# (aiokafka's "Unable connect to ...", aiormq's "error when creating transport", which
# shared.links holds back when the start was misconfigured) and counts as a line.
LIBRARIES = frozenset({"aiokafka", "aiormq", "aio_pika", "asyncio", "uvicorn"})
QUIET_LEVELS = frozenset({"DEBUG", "INFO", "WARNING"})
Environment = dict[str, str]


def library_of(line: str) -> str | None:
    """The library that logged ``line`` (a JSON log record below ERROR), or None."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("level") not in QUIET_LEVELS:
        return None
    package = str(record.get("logger", "")).split(".", 1)[0]
    return package if package in LIBRARIES else None


@dataclass(frozen=True)
class Ended:
    program: str
    code: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        """stderr's lines, without blank ones and the libraries' log records."""
        return [
            line for line in self.stderr.splitlines() if line.strip() and library_of(line) is None
        ]

    def __str__(self) -> str:
        return f"{self.program} exited {self.code}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def base_environment() -> Environment:
    """This environment without any EDA_ variable (PYTHONPATH and PATH kept): logs in
    the default format, JSON, one record a line."""
    return {k: v for k, v in os.environ.items() if not k.startswith("EDA_")}


async def run_to_end(argv: list[str], environment: Mapping[str, str]) -> Ended:
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(environment),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), EXIT_DEADLINE_S)
    except TimeoutError:
        process.kill()
        stdout, stderr = await process.communicate()
        raise AssertionError(
            f"{argv[0]} still running after {EXIT_DEADLINE_S}s\n"
            f"stdout:\n{stdout.decode(errors='replace')}\nstderr:\n{stderr.decode(errors='replace')}"
        ) from None
    except BaseException:  # cancelled: leave no process behind
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    assert process.returncode is not None
    return Ended(
        Path(argv[0]).name,
        process.returncode,
        stdout.decode(errors="replace"),
        stderr.decode(errors="replace"),
    )


def programs() -> dict[str, Callable[[], list[str]]]:
    return {
        "subscriber": lambda: [
            str(BIN / "subscriber"),
            SUBSCRIBED,
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
        ],
        "order-service": lambda: [
            str(BIN / "order-service"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(free_port()),
        ],
    }


async def both_refuse(
    environments: Mapping[str, Environment], *, expected: list[str], secrets: list[str]
) -> list[Ended]:
    """Run the subscriber and the order-service, each in its environment, at once; each
    must end non-zero with one line on stderr holding every ``expected`` text."""
    outcomes = await asyncio.gather(
        *(run_to_end(argv(), environments[name]) for name, argv in programs().items()),
        return_exceptions=True,  # both run to their end, whatever the other did
    )
    ended: list[Ended] = []
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
        ended.append(outcome)
    for result in ended:
        assert result.code != 0, result
        assert "Traceback" not in result.stderr, result
        lines = result.lines()
        assert len(lines) == 1, result
        (line,) = lines
        assert line.startswith(f"{result.program}: "), result
        for text in expected:
            assert text in line, (text, str(result))
        for secret in secrets:
            assert secret not in result.stderr + result.stdout, result
    return ended


# The servers' environments


def kafka_environment(
    kafka: SecuredKafka, *, ca: Path | None = None, cert: bool = True
) -> Environment:
    environment = {
        "EDA_DEFAULT_BROKER": "kafka",
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap,
        "EDA_KAFKA__SECURITY_PROTOCOL": "SSL",
        "EDA_KAFKA__SSL_CAFILE": str(ca or kafka.certs.ca),
        "EDA_KAFKA__TOPIC_PREFIX": f"sec{uuid.uuid4().hex[:8]}.",
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "EDA_KAFKA__REQUEST_TIMEOUT_MS": "5000",
    }
    if cert and kafka.client_cert_required:
        environment["EDA_KAFKA__SSL_CERTFILE"] = str(kafka.certs.client_cert)
        environment["EDA_KAFKA__SSL_KEYFILE"] = str(kafka.certs.client_key)
    return environment


@dataclass(frozen=True)
class Database:
    """Where a process finds its database, as its ``EDA_MYSQL__*`` variables say."""

    host: str
    port: int
    user: str
    password: str
    name: str
    ssl_mode: str
    ssl_ca: Path | None = None

    def environment(self) -> Environment:
        environment = {
            "EDA_MYSQL__HOST": self.host,
            "EDA_MYSQL__PORT": str(self.port),
            "EDA_MYSQL__USER": self.user,
            "EDA_MYSQL__PASSWORD": self.password,
            "EDA_MYSQL__DATABASE": self.name,
            "EDA_MYSQL__SSL_MODE": self.ssl_mode,
            "EDA_MYSQL__CONNECT_TIMEOUT_S": "5",
        }
        if self.ssl_ca is not None:
            environment["EDA_MYSQL__SSL_CA"] = str(self.ssl_ca)
        return environment

    def settings(self) -> MySQLSettings:
        return MySQLSettings(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=self.name,
            ssl_mode=self.ssl_mode,
            ssl_ca=self.ssl_ca,
        )


def verified(server: SecuredMySQL, name: str, *, user: str = "", password: str = "") -> Database:
    """VERIFY_IDENTITY with the test CA, by the name in the server's certificate."""
    return Database(
        "localhost",
        server.port,
        user or server.user,
        password or server.password,
        name,
        "VERIFY_IDENTITY",
        server.certs.ca,
    )


@dataclass(frozen=True)
class SecuredDatabases:
    """The order-service's and the subscriber's databases on the TLS MariaDB, migrated."""

    orders: Database
    users: Database

    def environments(self, common: Environment) -> dict[str, Environment]:
        return {
            "order-service": {**base_environment(), **common, **self.orders.environment()},
            "subscriber": {**base_environment(), **common, **self.users.environment()},
        }


@pytest.fixture
async def secured_databases(mysql_tls: SecuredMySQL) -> AsyncIterator[SecuredDatabases]:
    suffix = uuid.uuid4().hex[:10]
    databases = SecuredDatabases(
        verified(mysql_tls, f"orders_{suffix}"), verified(mysql_tls, f"users_{suffix}")
    )
    try:
        await migrate_database(ORDER_SERVICE, databases.orders.settings())
        await migrate_database(USER_SERVICE, databases.users.settings())
        yield databases
    finally:
        async with root_connection(mysql_tls) as connection, connection.cursor() as cursor:
            for database in (databases.orders, databases.users):
                await cursor.execute(f"DROP DATABASE IF EXISTS `{database.name}`")


# One thing wrong


async def test_kafka_mutual_tls_without_a_client_certificate_ends_both_with_one_line(
    kafka_mtls: SecuredKafka, secured_databases: SecuredDatabases, mysql_tls: SecuredMySQL
) -> None:
    environments = secured_databases.environments(kafka_environment(kafka_mtls, cert=False))
    await both_refuse(
        environments,
        expected=[
            f"Kafka at {kafka_mtls.bootstrap}",
            "requires a client certificate",
            "EDA_KAFKA__SSL_CERTFILE",
        ],
        secrets=[mysql_tls.password],
    )


async def test_a_wrong_kafka_ca_ends_both_with_one_line(
    kafka_tls: SecuredKafka, secured_databases: SecuredDatabases, mysql_tls: SecuredMySQL
) -> None:
    environments = secured_databases.environments(
        kafka_environment(kafka_tls, ca=kafka_tls.certs.other_ca)
    )
    await both_refuse(
        environments,
        expected=[f"Kafka at {kafka_tls.bootstrap}", "does not verify", "EDA_KAFKA__SSL_CAFILE"],
        secrets=[mysql_tls.password],
    )


async def test_a_wrong_rabbitmq_ca_ends_both_with_one_line(
    rabbitmq_tls: SecuredRabbitMQ, secured_databases: SecuredDatabases, mysql_tls: SecuredMySQL
) -> None:
    password = f"made-up-{uuid.uuid4().hex}"  # the handshake fails before any login
    rabbitmq = {
        "EDA_DEFAULT_BROKER": "rabbitmq",
        "EDA_RABBITMQ__URL": f"amqps://guest:{password}@localhost:{rabbitmq_tls.port}/",
        "EDA_RABBITMQ__SSL_CAFILE": str(rabbitmq_tls.certs.other_ca),
        "EDA_RABBITMQ__EXCHANGE": f"secured-{uuid.uuid4().hex[:8]}",
        "EDA_RABBITMQ__QUEUE_PREFIX": f"secured-{uuid.uuid4().hex[:8]}.",
    }
    await both_refuse(
        secured_databases.environments(rabbitmq),
        expected=[
            f"RabbitMQ at localhost:{rabbitmq_tls.port}",
            "does not verify",
            "EDA_RABBITMQ__SSL_CAFILE",
        ],
        secrets=[password, mysql_tls.password],
    )


async def test_mysql_tls_required_against_a_server_without_tls_ends_both_with_one_line(
    kafka_tls: SecuredKafka,
) -> None:
    """The local MariaDB on 127.0.0.1:3306 offers no TLS; the product must not run on it
    in plaintext when told REQUIRED."""
    server = mysql_settings_for_tests()
    async with throwaway_database(server) as orders, throwaway_database(server) as users:
        common = kafka_environment(kafka_tls)
        environments = {
            name: {
                **base_environment(),
                **common,
                **Database(
                    server.host, server.port, server.user, server.password, database, "REQUIRED"
                ).environment(),
            }
            for name, database in (("order-service", orders), ("subscriber", users))
        }
        await both_refuse(
            environments,
            expected=[
                f"MySQL at {server.host}:{server.port}",
                "not encrypted",
                "EDA_MYSQL__SSL_MODE",
            ],
            secrets=[],
        )


# Everything right


@contextlib.asynccontextmanager
async def serving(
    argv: list[str], environment: Environment, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *argv, env=environment, stdout=output, stderr=asyncio.subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def test_the_order_service_on_secured_kafka_and_mysql_migrates_and_becomes_ready(
    kafka_tls: SecuredKafka,
    mysql_tls: SecuredMySQL,
    mysql_service_users: ServiceUsers,
    tmp_path: Path,
) -> None:
    """``order-service migrate`` as the DDL user, then ``serve`` as the DML user, both
    with VERIFY_IDENTITY; Kafka over TLS. /readyz answers 200; SIGTERM ends it with 0."""
    users = mysql_service_users
    common = {**base_environment(), **kafka_environment(kafka_tls)}
    ddl = verified(mysql_tls, users.database, user=users.ddl.name, password=users.ddl.password)
    dml = verified(mysql_tls, users.database, user=users.dml.name, password=users.dml.password)

    migrated = await run_to_end(
        [str(BIN / "order-service"), "migrate"], {**common, **ddl.environment()}
    )
    assert migrated.code == 0, migrated
    assert f"to {users.database}" in migrated.stdout, migrated

    port = free_port()
    log = tmp_path / "serve.log"
    argv = [str(BIN / "order-service"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    async with serving(argv, {**common, **dml.environment()}, log) as process:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            async def ready() -> bool:
                if process.returncode is not None:
                    return True  # stop waiting for a process that ended
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(
                ready,
                timeout=60,
                interval=0.1,
                what=lambda: f"order-service ready\n{log.read_text()}",
            )
            assert process.returncode is None, log.read_text()
            assert (await client.get("/readyz")).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, log.read_text()
    output = log.read_text()
    assert "Traceback" not in output
    for secret in (users.ddl.password, users.dml.password):
        assert secret not in output
