"""``order-service serve`` as a real process on a migrated throwaway database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from eda_local.tansu import free_port
from shared.settings import MySQLSettings
from tests.bench.measure.timing import wait_until
from tests.support.mysql import throwaway_database

log = logging.getLogger("bench")

COMMAND = Path(sys.executable).parent / "order-service"
READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0
MIGRATE_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class OrderService:
    url: str
    mysql: MySQLSettings
    """The service's database, for reading its outbox."""
    pid: int


def service_environment(mysql: MySQLSettings, bootstrap: str, topic_prefix: str) -> dict[str, str]:
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("EDA_")}
    return {
        **inherited,
        "EDA_MYSQL__HOST": mysql.host,
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD": mysql.password,
        "EDA_MYSQL__DATABASE": mysql.database,
        "EDA_DEFAULT_BROKER": "kafka",
        "EDA_KAFKA__BOOTSTRAP_SERVERS": bootstrap,
        "EDA_KAFKA__TOPIC_PREFIX": topic_prefix,
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",  # Tansu refuses it
    }


@contextlib.asynccontextmanager
async def running_order_service(
    mysql: MySQLSettings, bootstrap: str, topic_prefix: str, log_path: Path
) -> AsyncIterator[OrderService]:
    """Migrate a throwaway database with ``order-service migrate``, then ``serve`` on it."""
    async with throwaway_database(mysql) as database:
        service_mysql = mysql.model_copy(update={"database": database})
        environment = service_environment(service_mysql, bootstrap, topic_prefix)
        await _migrate(environment)
        port = free_port()
        with _log_file(log_path) as server_log:
            process = await asyncio.create_subprocess_exec(
                str(COMMAND),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                env=environment,
                stdout=server_log,
                stderr=asyncio.subprocess.STDOUT,
            )
            try:
                url = f"http://127.0.0.1:{port}"
                await _wait_ready(url, process)
                log.info("order-service pid %d ready at %s (log %s)", process.pid, url, log_path)
                yield OrderService(url, service_mysql, process.pid)
            finally:
                await _stop(process)


def _log_file(path: Path) -> IO[bytes]:
    return path.open("wb")  # the server writes to it directly; nothing here blocks on it


async def _migrate(environment: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        str(COMMAND),
        "migrate",
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), MIGRATE_TIMEOUT_S)
    if process.returncode != 0:
        raise RuntimeError(f"order-service migrate failed: {output.decode().strip()}")


async def _wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2.0) as client:

        async def ready() -> bool:
            if process.returncode is not None:
                raise RuntimeError(f"order-service serve exited with {process.returncode}")
            try:
                return (await client.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, READY_TIMEOUT_S, "order-service to become ready", poll_s=0.1)


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
    except TimeoutError:
        log.warning("order-service did not stop within %ss; killing it", STOP_TIMEOUT_S)
        process.kill()
        await process.wait()
