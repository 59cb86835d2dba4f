"""The whole system as real processes: both services and one subscriber per event
type, on throwaway databases and uniquely named broker resources."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import aiomysql
import httpx

from eda_local.tansu import free_port
from order_service.adapters.schema import migrate_database as migrate_orders
from shared.messaging.rabbitmq.topology import (
    dead_letter_exchange_name,
    dead_letter_queue_name,
    unrouted_name,
)
from shared.settings import BrokerKind, MySQLSettings, RabbitMQSettings
from subscribers.catalog import SUBSCRIBERS
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.polling import eventually
from user_service.bootstrap.database import migrate_database as migrate_users

BIN = Path(sys.executable).parent


@dataclass
class RunningSystem:
    users_url: str
    orders_url: str
    orders_db: MySQLSettings
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    async def customer_active(self, user_id: str) -> bool | None:
        """The orders context's projection of a customer (None: not projected yet)."""
        connection = await aiomysql.connect(
            host=self.orders_db.host,
            port=self.orders_db.port,
            user=self.orders_db.user,
            password=self.orders_db.password,
            db=self.orders_db.database,
            autocommit=True,
        )
        try:
            async with connection.cursor() as cursor:
                await cursor.execute("SELECT active FROM customers WHERE user_id = %s", (user_id,))
                row = await cursor.fetchone()
        finally:
            connection.close()
        return None if row is None else bool(row[0])

    def log_tail(self, name: str, lines: int = 30) -> str:
        text = self.logs[name].read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def _environment(
    broker: BrokerKind, kafka: str, mysql: MySQLSettings, unique: str, database: str
) -> dict[str, str]:
    return {
        **os.environ,
        "EDA_DEFAULT_BROKER": broker.value,
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka,
        "EDA_KAFKA__TOPIC_PREFIX": f"e2e{unique}.",
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "EDA_RABBITMQ__EXCHANGE": f"events-e2e{unique}",
        "EDA_RABBITMQ__QUEUE_PREFIX": f"e2e{unique}.",
        "EDA_MYSQL__HOST": mysql.host,
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD": mysql.password,
        "EDA_MYSQL__DATABASE": database,
        "EDA_OUTBOX__IDLE_POLL_S": "0.05",
        "EDA_RETRY__INITIAL_BACKOFF_S": "0.05",
        "EDA_RETRY__MAX_BACKOFF_S": "0.5",
        "EDA_RETRY__MAX_ATTEMPTS": "20",
        "EDA_UNKNOWN_CUSTOMER_WAIT_S": "5",
    }


@contextlib.asynccontextmanager
async def running_system(
    broker: BrokerKind, kafka: str, log_dir: Path
) -> AsyncIterator[RunningSystem]:
    mysql = mysql_settings_for_tests()
    unique = uuid.uuid4().hex[:8]
    async with throwaway_database(mysql) as users_db, throwaway_database(mysql) as orders_db:
        await migrate_users(mysql.model_copy(update={"database": users_db}))
        await migrate_orders(mysql.model_copy(update={"database": orders_db}))
        users_port, orders_port = free_port(), free_port()
        system = RunningSystem(
            f"http://127.0.0.1:{users_port}",
            f"http://127.0.0.1:{orders_port}",
            mysql.model_copy(update={"database": orders_db}),
        )
        commands: dict[str, tuple[list[str], str, int]] = {
            "user-service": (
                ["user-service", "serve", "--port", str(users_port)],
                users_db,
                users_port,
            ),
            "order-service": (
                ["order-service", "serve", "--port", str(orders_port)],
                orders_db,
                orders_port,
            ),
        }
        for event_type, subscriber in SUBSCRIBERS.items():
            port = free_port()
            database = orders_db if subscriber.context == "orders" else users_db
            commands[event_type] = (["subscriber", event_type, "--port", str(port)], database, port)
        try:
            for name, (argv, database, _) in commands.items():
                system.logs[name] = log_dir / f"{name}.log"
                with system.logs[name].open("wb") as log:
                    system.processes[name] = await asyncio.create_subprocess_exec(
                        str(BIN / argv[0]),
                        *argv[1:],
                        env=_environment(broker, kafka, mysql, unique, database),
                        stdout=log,
                        stderr=asyncio.subprocess.STDOUT,
                    )
            async with httpx.AsyncClient(timeout=2) as client:
                for name, (_, _, port) in commands.items():
                    await eventually(
                        functools.partial(_ready, client, port), timeout=60, what=f"{name} ready"
                    )
            yield system
        finally:
            await stop_all(system)
            if broker is BrokerKind.RABBITMQ:
                await _delete_rabbitmq_resources(unique)


async def _ready(client: httpx.AsyncClient, port: int) -> bool:
    try:
        return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False


async def stop_all(system: RunningSystem) -> dict[str, int | None]:
    for process in system.processes.values():
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    codes: dict[str, int | None] = {}
    for name, process in system.processes.items():
        try:
            codes[name] = await asyncio.wait_for(process.wait(), timeout=30)
        except TimeoutError:
            process.kill()
            codes[name] = await process.wait()
    return codes


async def _delete_rabbitmq_resources(unique: str) -> None:
    settings = RabbitMQSettings(exchange=f"events-e2e{unique}")
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        for subscriber in SUBSCRIBERS.values():
            queue = f"e2e{unique}.{subscriber.name}"
            await channel.queue_delete(queue)
            await channel.queue_delete(dead_letter_queue_name(queue))
            await channel.exchange_delete(dead_letter_exchange_name(queue))
        await channel.queue_delete(unrouted_name(settings))
        await channel.exchange_delete(settings.exchange)
        await channel.exchange_delete(unrouted_name(settings))
