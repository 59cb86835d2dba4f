"""The whole system as processes, every link to a broker and to the database
through a fault proxy the test controls: a cut looks to the processes like a
network failure, and no shared server is stopped.

Kafka is a private Tansu that advertises the proxy's port, so that clients reach
the broker through the proxy after the first metadata request too."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from eda_local.tansu import free_port, running_tansu
from tests.e2e.system import RunningSystem, running_system
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.mysql import mysql_settings_for_tests

RABBITMQ = ("127.0.0.1", 5672)


@dataclass
class Links:
    kafka: FaultProxy
    rabbitmq: FaultProxy
    mysql: FaultProxy

    def named(self, name: str) -> FaultProxy:
        link: FaultProxy = getattr(self, name)
        return link


@dataclass
class FaultySystem:
    system: RunningSystem
    links: Links

    async def cut(self, link: str, seconds: float) -> None:
        """Cut one link for ``seconds``, then let traffic through again."""
        proxy = self.links.named(link)
        proxy.cut()
        try:
            await asyncio.sleep(seconds)  # the fault's duration, not a wait for a condition
        finally:
            proxy.restore()


@contextlib.asynccontextmanager
async def faulty_system(routing: str, log_dir: Path) -> AsyncIterator[FaultySystem]:
    mysql = mysql_settings_for_tests()
    tansu_port = free_port()
    async with (
        fault_proxy("127.0.0.1", tansu_port) as kafka,
        fault_proxy(*RABBITMQ) as rabbitmq,
        fault_proxy(mysql.host, mysql.port) as database,
    ):
        with running_tansu(
            port=tansu_port, log_path=log_dir / "tansu.log", advertised_port=kafka.port
        ) as bootstrap:
            environment = {
                "EDA_MYSQL__PORT": str(database.port),
                "EDA_RABBITMQ__URL": f"amqp://guest:guest@127.0.0.1:{rabbitmq.port}/",
                # Production retry settings: 31-63 s of attempts outlast a 10 s outage.
                "EDA_RETRY__INITIAL_BACKOFF_S": "0.2",
                "EDA_RETRY__MAX_BACKOFF_S": "5",
                "EDA_RETRY__MAX_ATTEMPTS": "12",
                "EDA_UNKNOWN_CUSTOMER_WAIT_S": "30",
            }
            async with running_system(routing, bootstrap, log_dir, environment) as system:
                yield FaultySystem(system, Links(kafka, rabbitmq, database))
