"""`eda load` as a user runs it: the console script against user-service and
order-service running as processes."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from eda_local.tansu import free_port
from tests.cli.services import running_services
from tests.e2e.system import RunningSystem
from tests.support.mysql import count_rows, database_pool, mysql_settings_for_tests

EDA = str(Path(sys.executable).parent / "eda")

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def system(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningSystem]:
    async with running_services(kafka_bootstrap, tmp_path_factory.mktemp("cli")) as running:
        yield running


async def eda(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        EDA, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_a_short_run_places_the_requested_orders(system: RunningSystem) -> None:
    started = time.monotonic()
    code, out, err = await eda(
        "load",
        "--rate", "50",
        "--duration", "3",
        "--customers", "5",
        "--progress-every", "1",
        "--users", system.users_url,
        "--orders", system.orders_url,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert code == 0, err + out
    assert "users: sent 5, ok 5 (201), errors 0" in out
    assert "orders: sent 150, ok 150 (202), errors 0" in out
    offered = float(re.findall(r"started ([\d.]+)/s of 50/s requested", out)[-1])
    assert 48 <= offered <= 51, out
    answered = float(re.findall(r"answered ([\d.]+)/s", out)[-1])
    assert 40 <= answered <= 51, out
    # Progress every second while placing orders: "[   1.0s] orders: sent 50 ...".
    progress = re.findall(r"\[\s*([\d.]+)s\] orders: sent (\d+)", out)
    assert len(progress) >= 3, out
    assert 3 <= elapsed < 15, out
    # Everything the command counted as accepted is in the databases.
    mysql = mysql_settings_for_tests()
    async with (
        database_pool(mysql, system.layout.users_database) as users,
        database_pool(mysql, system.layout.orders_database) as orders,
    ):
        assert await count_rows(users, "users") == 5
        assert await count_rows(orders, "orders") == 150
    print(f"\n{out}", file=sys.__stderr__)


async def test_an_unreachable_service_is_named_and_fails_fast(system: RunningSystem) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    code, out, err = await eda(
        "load", "--duration", "1", "--users", system.users_url, "--orders", nowhere
    )
    assert code == 1
    assert f"order-service is not reachable at {nowhere}" in err
    assert "make run" in err
    assert "summary" not in out  # nothing was sent
    assert time.monotonic() - started < 10


@pytest.mark.slow
async def test_bad_arguments_are_refused_before_anything_is_sent() -> None:
    code, _, err = await eda("load", "--rate", "0")
    assert code == 2
    assert "--rate: must be above 0" in err
    code, out, _ = await eda("--help")
    assert code == 0
    assert "load" in out
