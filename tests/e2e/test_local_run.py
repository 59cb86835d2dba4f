"""`make run`'s launcher: it names a missing server and how to point at one."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from eda_local.checks import reachable
from eda_local.procfile import Layout, procfile
from eda_local.tansu import free_port, free_port_block
from subscribers.catalog import SUBSCRIBERS
from tests.support.mysql import drop_databases, mysql_settings_for_tests
from tests.support.orders import one_item_order
from tests.support.polling import eventually


def launch(**environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eda_local.launcher"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_unreachable_mysql_is_named_with_how_to_point_at_one() -> None:
    port = free_port()
    result = launch(EDA_MYSQL__PORT=str(port))
    assert result.returncode == 1
    assert f"MySQL is not reachable at 127.0.0.1:{port}" in result.stderr
    assert "EDA_MYSQL__HOST" in result.stderr


def test_an_unreachable_rabbitmq_is_named_with_how_to_point_at_one() -> None:
    port = free_port()
    result = launch(EDA_RABBITMQ__URL=f"amqp://guest:guest@127.0.0.1:{port}/")
    assert result.returncode == 1
    assert f"RabbitMQ is not reachable at 127.0.0.1:{port}" in result.stderr
    assert "EDA_RABBITMQ__URL" in result.stderr


def test_a_malformed_setting_is_named() -> None:
    result = launch(EDA_RABBITMQ__PREFETCH="many")
    assert result.returncode == 1
    assert "EDA_RABBITMQ__PREFETCH" in result.stderr


@pytest.mark.parametrize("event_type", sorted(SUBSCRIBERS))
def test_the_supervisor_runs_one_subscriber_per_event_type(event_type: str) -> None:
    lines = procfile(Layout()).splitlines()
    database = "orders" if SUBSCRIBERS[event_type].context == "orders" else "users"
    name = event_type.replace(".", "-")
    expected = f"{name}: EDA_MYSQL__DATABASE={database} subscriber {event_type} --port "
    assert sum(line.startswith(expected) for line in lines) == 1
    assert lines[:2] == [
        "user-service: EDA_MYSQL__DATABASE=users user-service serve --port 8001",
        "order-service: EDA_MYSQL__DATABASE=orders order-service serve --port 8002",
    ]


@pytest.mark.mysql
@pytest.mark.kafka
@pytest.mark.rabbitmq
async def test_make_run_serves_the_flow_and_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("users", "orders", "kafka")}
    first_subscriber = free_port_block(len(SUBSCRIBERS))
    prefix = f"t_{uuid.uuid4().hex[:8]}_"
    environment = {k: v for k, v in os.environ.items() if k != "EDA_KAFKA__BOOTSTRAP_SERVERS"}
    log = (tmp_path / "run.log").open("wb")
    launcher = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eda_local.launcher",
        "--users-port",
        str(ports["users"]),
        "--orders-port",
        str(ports["orders"]),
        "--kafka-port",
        str(ports["kafka"]),
        "--database-prefix",
        prefix,
        "--first-subscriber-port",
        str(first_subscriber),
        env=environment,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, as in a terminal
    )
    users = f"http://127.0.0.1:{ports['users']}"
    orders = f"http://127.0.0.1:{ports['orders']}"
    health = [users, orders] + [
        f"http://127.0.0.1:{first_subscriber + i}" for i in range(len(SUBSCRIBERS))
    ]
    try:
        async with httpx.AsyncClient(timeout=2) as client:
            for url in health:
                await eventually(
                    functools.partial(_ready, client, url), timeout=90, what=f"{url} ready"
                )
            user = (
                await client.post(f"{users}/users", json={"email": "l@x.io", "name": "L"})
            ).json()
            order = (
                await client.post(
                    f"{orders}/orders",
                    json=one_item_order(user["id"], sku="a", quantity=1, unit_price="2.00"),
                )
            ).json()

            async def confirmed() -> bool:
                response = await client.get(f"{orders}/orders/{order['id']}")
                return bool(response.json()["status"] == "confirmed")

            await eventually(confirmed, timeout=60, what="the order confirmed")
        banner = (tmp_path / "run.log").read_text()
        assert f"{users}/docs" in banner
        assert "curl" in banner

        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        await asyncio.wait_for(launcher.wait(), timeout=60)
        for url in health:
            port = int(url.rsplit(":", 1)[1])
            assert not reachable("127.0.0.1", port, timeout_s=0.5), f"{url} still answers"
    finally:
        if launcher.returncode is None:  # the test failed: stop it as Ctrl-C would, then hard
            os.killpg(launcher.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(launcher.wait(), timeout=30)
            except TimeoutError:
                os.killpg(launcher.pid, signal.SIGKILL)
                await launcher.wait()
        log.close()
        await drop_databases(mysql_settings_for_tests(), f"{prefix}users", f"{prefix}orders")


async def _ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(f"{url}/readyz")).status_code == 200
    except httpx.HTTPError:
        return False
