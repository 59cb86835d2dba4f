"""The ``order-service`` command as a process: migrate, and one clear line on failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from eda_local.tansu import free_port
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database

COMMAND = Path(sys.executable).parent / "order-service"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = mysql_settings_for_tests()
    environment = {
        **os.environ,
        "EDA_MYSQL__HOST": settings.host,
        "EDA_MYSQL__PORT": str(settings.port),
        "EDA_MYSQL__USER": settings.user,
        "EDA_MYSQL__PASSWORD": settings.password,
        **env,
    }
    return subprocess.run(
        [str(COMMAND), *args],
        check=False,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_migrate_applies_once_then_reports_nothing_to_do() -> None:
    settings: MySQLSettings = mysql_settings_for_tests()
    async with throwaway_database(settings) as database:
        first = run("migrate", EDA_MYSQL__DATABASE=database)
        second = run("migrate", EDA_MYSQL__DATABASE=database)
    assert first.returncode == 0, first.stderr
    assert "applied order_service:0001_orders" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "nothing applied" in second.stdout


def test_an_unreachable_database_is_one_line_and_a_failure() -> None:
    for command in ("migrate", "serve"):
        result = run(command, EDA_MYSQL__PORT=str(free_port()), EDA_MYSQL__CONNECT_TIMEOUT_S="1")
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith("order-service: cannot use MySQL database orders")


def test_a_missing_database_stops_serve_before_listening() -> None:
    result = run("serve", EDA_MYSQL__DATABASE="t_never_created_orders")
    assert result.returncode == 1
    assert "Unknown database" in result.stderr
