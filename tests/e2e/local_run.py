"""`make run`'s launcher as a terminal runs it: in a process group of its own, with
random free ports and unique database names, its output in a file."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from eda_local.checks import reachable
from subscribers.catalog import SUBSCRIBERS
from tests.support.orders import one_item_order
from tests.support.polling import eventually

FINAL_STATES = {"confirmed", "rejected"}


@dataclass
class Ports:
    users: int
    orders: int
    kafka: int
    first_subscriber: int

    def health_urls(self) -> list[str]:
        ports = [self.users, self.orders]
        ports += [self.first_subscriber + i for i in range(len(SUBSCRIBERS))]
        return [f"http://127.0.0.1:{port}" for port in ports]

    def every(self) -> list[int]:
        return [int(url.rsplit(":", 1)[1]) for url in self.health_urls()] + [self.kafka]


@dataclass
class Launcher:
    process: asyncio.subprocess.Process
    log_path: Path
    ports: Ports

    @property
    def users_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.users}"

    @property
    def orders_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.orders}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ctrl_c(self) -> None:
        os.killpg(self.process.pid, signal.SIGINT)  # what Ctrl-C in the terminal does

    async def exit_code(self, timeout: float = 90) -> int:
        return await asyncio.wait_for(self.process.wait(), timeout=timeout)

    async def wait_ready(self) -> None:
        async with httpx.AsyncClient(timeout=2) as client:
            for url in self.ports.health_urls():
                await eventually(
                    functools.partial(_ready, client, url), timeout=90, what=f"{url} ready"
                )

    def still_answering(self) -> list[int]:
        return [port for port in self.ports.every() if reachable("127.0.0.1", port, 0.5)]


@contextlib.asynccontextmanager
async def launched(
    ports: Ports, prefix: str, log_path: Path, extra: Mapping[str, str] | None = None
) -> AsyncIterator[Launcher]:
    """``extra`` variables on top of this environment (a Kafka address in it replaces
    the embedded broker)."""
    environment = {k: v for k, v in os.environ.items() if k != "EDA_KAFKA__BOOTSTRAP_SERVERS"}
    environment.update(extra or {})
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eda_local.launcher",
            "--users-port",
            str(ports.users),
            "--orders-port",
            str(ports.orders),
            "--kafka-port",
            str(ports.kafka),
            "--database-prefix",
            prefix,
            "--first-subscriber-port",
            str(ports.first_subscriber),
            env=environment,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own process group, as in a terminal
        )
    launcher = Launcher(process, log_path, ports)
    try:
        yield launcher
    finally:
        if process.returncode is None:  # the test failed: stop it as Ctrl-C would, then hard
            with contextlib.suppress(ProcessLookupError):
                launcher.ctrl_c()
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()


async def place_order(client: httpx.AsyncClient, orders_url: str, user_id: str) -> str | None:
    """The new order's id, or None when the service no longer takes orders."""
    try:
        response = await client.post(
            f"{orders_url}/orders",
            json=one_item_order(user_id, sku="a", quantity=1, unit_price="2.00"),
        )
    except httpx.HTTPError:
        return None
    return str(response.json()["id"]) if response.status_code == 202 else None


async def _ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False
