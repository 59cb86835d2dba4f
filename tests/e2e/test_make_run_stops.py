"""`make run` stops cleanly: Ctrl-C or SIGTERM stops the HTTP services, lets the
subscribers drain the embedded broker, stops them and the broker last; every process
exits 0, the console says one line per process and a final line, and no placed order
is lost. A second Ctrl-C stops everything at once, still without a traceback."""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from eda_local.procfile import Layout, procfile
from eda_local.tansu import free_port, free_port_block
from subscribers.catalog import SUBSCRIBERS
from tests.e2e.local_run import FINAL_STATES, Launcher, Ports, launched, place_order
from tests.support.mysql import drop_databases, mysql_settings_for_tests
from tests.support.polling import eventually
from tests.support.users import register_user

# `make run`: MariaDB, RabbitMQ and the launcher's own Tansu.
pytestmark = [pytest.mark.mysql, pytest.mark.kafka, pytest.mark.rabbitmq]

PROCESSES = [line.split(":", 1)[0] for line in procfile(Layout()).splitlines()] + ["kafka"]
WIDTH = max(len(name) for name in PROCESSES)
CLEAN_END = "make run: every process stopped cleanly"


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    unique = f"t_{uuid.uuid4().hex[:8]}_"
    yield unique
    await drop_databases(mysql_settings_for_tests(), f"{unique}users", f"{unique}orders")


@pytest.fixture
def ports() -> Ports:
    return Ports(
        users=free_port(),
        orders=free_port(),
        kafka=free_port(),
        first_subscriber=free_port_block(len(SUBSCRIBERS)),
    )


def stop_lines(output: str, since: int) -> list[str]:
    return output[since:].splitlines()


def assert_stopped_cleanly(launcher: Launcher, since: int) -> None:
    output = launcher.output()
    assert "Traceback" not in output
    lines = stop_lines(output, since)
    expected = {f"{name:<{WIDTH}} | stopped" for name in PROCESSES}
    assert sorted(lines[:-1]) == sorted(expected), "\n".join(lines)
    assert lines[-1] == CLEAN_END
    assert lines[-2] == f"{'kafka':<{WIDTH}} | stopped"  # the broker last
    assert not launcher.still_answering()


async def stops_cleanly(launcher: Launcher, stop: Callable[[], None]) -> None:
    """``stop`` it (Ctrl-C, SIGTERM): it exits 0 having stopped every process cleanly."""
    since = len(launcher.output())
    stop()
    assert await launcher.exit_code() == 0
    assert_stopped_cleanly(launcher, since)


async def test_ctrl_c_stops_every_process_cleanly_and_loses_no_order(
    tmp_path: Path, ports: Ports, prefix: str
) -> None:
    placed: list[str] = []
    async with launched(ports, prefix, tmp_path / "first.log") as launcher:
        await launcher.wait_ready()
        async with httpx.AsyncClient(timeout=5) as client:
            user_id = await register_user(client, launcher.users_url, "c@x.io", "C")
            for _ in range(10):
                order = await place_order(client, launcher.orders_url, user_id)
                assert order is not None
                placed.append(order)

            async def keep_ordering() -> None:
                while order := await place_order(client, launcher.orders_url, user_id):
                    placed.append(order)

            ordering = asyncio.create_task(keep_ordering())  # orders in flight at Ctrl-C
            await eventually(lambda: len(placed) >= 20, timeout=30, what="orders placed")
            since = len(launcher.output())
            launcher.ctrl_c()
            assert await launcher.exit_code() == 0
            await ordering
        assert_stopped_cleanly(launcher, since)

    async with launched(ports, prefix, tmp_path / "second.log") as launcher:
        await launcher.wait_ready()
        async with httpx.AsyncClient(timeout=5) as client:

            async def every_order_final() -> bool:
                for order_id in placed:
                    response = await client.get(f"{launcher.orders_url}/orders/{order_id}")
                    if response.json()["status"] not in FINAL_STATES:
                        return False
                return True

            await eventually(every_order_final, timeout=60, what="every order final")
        await stops_cleanly(launcher, launcher.ctrl_c)


async def test_sigterm_to_the_launcher_stops_as_ctrl_c_does(
    tmp_path: Path, ports: Ports, prefix: str
) -> None:
    async with launched(ports, prefix, tmp_path / "run.log") as launcher:
        await launcher.wait_ready()
        await stops_cleanly(launcher, lambda: launcher.process.send_signal(signal.SIGTERM))


async def test_a_second_ctrl_c_stops_everything_at_once(
    tmp_path: Path, ports: Ports, prefix: str
) -> None:
    async with launched(ports, prefix, tmp_path / "run.log") as launcher:
        await launcher.wait_ready()
        launcher.ctrl_c()
        await eventually(
            lambda: " | stopped" in launcher.output(), timeout=30, what="a first process stopped"
        )
        launcher.ctrl_c()
        assert await launcher.exit_code(timeout=10) == 130
        output = launcher.output()
        assert "Traceback" not in output
        assert output.splitlines()[-1] == "make run: stopped every process at once"
        assert not launcher.still_answering()


async def test_the_console_says_once_when_each_process_is_ready(
    tmp_path: Path, ports: Ports, prefix: str
) -> None:
    subscribers = {
        event_type: f" ready: {event_type} from Kafka at 127.0.0.1:{ports.kafka}"
        f" (topic {event_type}, partitions 0, 1, 2, 3, 4, 5)"
        for event_type in SUBSCRIBERS
    }
    services = {
        "user-service": f"{'user-service':<{WIDTH}} | ready: http://127.0.0.1:{ports.users}",
        "order-service": f"{'order-service':<{WIDTH}} | ready: http://127.0.0.1:{ports.orders}",
    }
    expected = [*subscribers.values(), *services.values()]
    async with launched(ports, prefix, tmp_path / "run.log") as launcher:
        await launcher.wait_ready()
        await eventually(
            lambda: all(line in launcher.output() for line in expected),
            timeout=60,
            what="a ready line for every process",
        )
        output = launcher.output()
        launcher.ctrl_c()
        assert await launcher.exit_code() == 0
    for line in expected:
        assert output.count(line) == 1, line
    # Libraries' INFO lines are for EDA_LOG_LEVEL=DEBUG.
    assert " INFO    aiokafka" not in output
    assert " INFO    uvicorn" not in output
