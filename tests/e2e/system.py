"""The whole system as real processes, started the way `make run` starts it: the
launcher's migrations and Procfile lines, with random free ports and unique database
names. Each Procfile line runs as its own process so a test can kill and restart one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from eda_local.launcher import prepare
from eda_local.procfile import Layout, procfile
from eda_local.tansu import free_port, free_port_block
from shared.settings import MySQLSettings, RabbitMQSettings, Settings, load_settings
from subscribers.catalog import SUBSCRIBERS
from tests.support.mysql import drop_databases, mysql_settings_for_tests, server_connection
from tests.support.polling import eventually
from tests.support.prometheus import Target
from tests.support.rabbitmq import delete_topology

BIN = Path(sys.executable).parent

ROUTINGS: Mapping[str, dict[str, str]] = {
    "kafka": {"EDA_DEFAULT_BROKER": "kafka"},
    "rabbitmq": {"EDA_DEFAULT_BROKER": "rabbitmq"},
    "mixed": {
        "EDA_DEFAULT_BROKER": "kafka",
        "EDA_ROUTES": '{"order.placed": "rabbitmq", "order.rejected": "rabbitmq",'
        ' "user.deactivated": "rabbitmq"}',
    },
}


@dataclass
class RunningSystem:
    layout: Layout
    environment: dict[str, str]
    log_dir: Path
    commands: dict[str, str] = field(default_factory=dict)
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    # The tests read many customers at once; a few connections at a time leave the
    # server's connections to the system under test on a busy machine.
    _reads: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(4), repr=False)

    @property
    def users_url(self) -> str:
        return f"http://127.0.0.1:{self.layout.users_port}"

    @property
    def orders_url(self) -> str:
        return f"http://127.0.0.1:{self.layout.orders_port}"

    def health_url(self, name: str) -> str:
        if name == "user-service":
            return self.users_url
        if name == "order-service":
            return self.orders_url
        event_type = name.replace("-", ".", 1)
        return f"http://127.0.0.1:{self.layout.subscriber_ports()[event_type]}"

    async def start(self, name: str) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            f"exec env {self.commands[name]}",
            env=self.environment,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
        )
        log.close()

    async def wait_ready(self, name: str) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            await eventually(
                functools.partial(_ready, client, self.health_url(name)),
                timeout=90,
                what=f"{name} ready",
            )

    async def kill(self, name: str) -> None:
        process = self.processes[name]
        process.kill()  # SIGKILL: no chance to finish or commit anything
        await process.wait()

    async def customer_active(self, user_id: str) -> bool | None:
        """The orders context's projection of a customer (None: not projected yet)."""
        database = self.layout.orders_database
        async with (
            self._reads,
            server_connection(mysql_settings_for_tests(), database) as connection,
            connection.cursor() as cursor,
        ):
            await cursor.execute("SELECT active FROM customers WHERE user_id = %s", (user_id,))
            row = await cursor.fetchone()
        return None if row is None else bool(row[0])

    def log_tail(self, name: str, lines: int = 30) -> str:
        text = (self.log_dir / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


def component(event_type: str) -> str:
    """A subscriber's component label: its chart key, as the chart's PodMonitor gives it."""
    return SUBSCRIBERS[event_type].name.replace(".", "-")


def scrape_targets(system: RunningSystem) -> list[Target]:
    """Every process's /metrics, labelled as the chart's PodMonitor labels its pods."""
    found = [
        Target(f"127.0.0.1:{system.layout.users_port}", {"component": "user-service"}),
        Target(f"127.0.0.1:{system.layout.orders_port}", {"component": "order-service"}),
    ]
    for event_type, port in system.layout.subscriber_ports().items():
        found.append(Target(f"127.0.0.1:{port}", {"component": component(event_type)}))
    return found


def _environment(routing: str, kafka: str, mysql: MySQLSettings, unique: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **ROUTINGS[routing],
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
        "EDA_OUTBOX__IDLE_POLL_S": "0.05",
        "EDA_RETRY__INITIAL_BACKOFF_S": "0.05",
        "EDA_RETRY__MAX_BACKOFF_S": "0.5",
        "EDA_RETRY__MAX_ATTEMPTS": "20",
        "EDA_UNKNOWN_CUSTOMER_WAIT_S": "2",
    }


@contextlib.asynccontextmanager
async def running_system(
    routing: str, kafka: str, log_dir: Path, extra_environment: Mapping[str, str] | None = None
) -> AsyncIterator[RunningSystem]:
    mysql = mysql_settings_for_tests()
    unique = uuid.uuid4().hex[:8]
    layout = Layout(
        users_port=free_port(),
        orders_port=free_port(),
        first_subscriber_port=free_port_block(len(SUBSCRIBERS)),
        users_database=f"t_{unique}_users",
        orders_database=f"t_{unique}_orders",
    )
    environment = {**_environment(routing, kafka, mysql, unique), **(extra_environment or {})}
    system = RunningSystem(layout, environment, log_dir)
    for line in procfile(layout).splitlines():
        name, command = line.split(": ", 1)
        system.commands[name] = command
    try:
        await prepare(_settings_of(environment), layout)
        for name in system.commands:
            await system.start(name)
        for name in system.commands:
            await system.wait_ready(name)
        yield system
    finally:
        await stop_all(system)
        await drop_databases(mysql, layout.users_database, layout.orders_database)
        if routing != "kafka":
            rabbitmq = RabbitMQSettings(
                exchange=environment["EDA_RABBITMQ__EXCHANGE"],
                queue_prefix=environment["EDA_RABBITMQ__QUEUE_PREFIX"],
            )
            await delete_topology(
                rabbitmq, [subscriber.name for subscriber in SUBSCRIBERS.values()]
            )


def _settings_of(environment: Mapping[str, str]) -> Settings:
    """The settings the processes will read, as the launcher would read them."""
    with _patched_environment(environment):
        return load_settings()


@contextlib.contextmanager
def _patched_environment(environment: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(environment)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


async def _ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/readyz")).status_code == 200
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
