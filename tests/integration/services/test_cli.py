"""``<service> migrate`` and ``serve`` from the command line: idempotent migration, and
one clear line and a failure exit code for every problem, never a traceback."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Sequence

import pytest

from eda_local.tansu import free_port
from order_service.entrypoints.cli import main as order_main
from shared.settings import MySQLSettings
from tests.integration.services.migrations import EXPECTED
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from tests.support.service_apps import ORDER_SERVICE, USER_SERVICE
from user_service.entrypoints.cli import main as user_main

MAINS: dict[str, Callable[[Sequence[str]], int]] = {
    USER_SERVICE: user_main,
    ORDER_SERVICE: order_main,
}


@pytest.fixture
def main(service_name: str) -> Callable[[Sequence[str]], int]:
    return MAINS[service_name]


@pytest.fixture
async def database(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MySQLSettings]:
    """An empty database the command is pointed at through EDA_* variables."""
    for name in list(os.environ):
        if name.upper().startswith("EDA_") and not name.upper().startswith("EDA_TEST_"):
            monkeypatch.delenv(name)
    settings = mysql_settings_for_tests()
    async with throwaway_database(settings) as name:
        selected = settings.model_copy(update={"database": name})
        for key in ("host", "port", "user", "password", "database"):
            monkeypatch.setenv(f"EDA_MYSQL__{key.upper()}", str(getattr(selected, key)))
        yield selected


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.mysql
def test_migrate_applies_everything_once(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"applied {version} to {database.database}" for version in EXPECTED[service_name]
    ]
    assert main(["migrate"]) == 0
    assert one_line(capsys.readouterr().out) == (
        f"database {database.database!r} is up to date; nothing to apply"
    )


@pytest.mark.mysql
def test_a_bad_setting_is_one_line_naming_the_variable(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "eighty")
    assert main(["migrate"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"{service_name}: invalid settings")
    assert "EDA_HTTP_PORT" in line


@pytest.mark.mysql
@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_database_is_one_line(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    *,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    port = free_port()
    monkeypatch.setenv("EDA_MYSQL__PORT", str(port))
    monkeypatch.setenv("EDA_MYSQL__CONNECT_TIMEOUT_S", "1")
    assert main([command]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(
        f"{service_name}: cannot use MySQL database {database.database!r} at {database.host}:{port}"
    )


@pytest.mark.mysql
def test_serving_an_unmigrated_database_says_to_migrate(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve"]) == 1
    assert f"run `{service_name} migrate` first" in one_line(capsys.readouterr().err)


@pytest.mark.mysql
def test_serving_a_missing_database_says_to_migrate(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "t_never_created")
    assert main(["serve"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "Unknown database" in line
    assert f"run `{service_name} migrate` first" in line


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_a_usage_error(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    capsys: pytest.CaptureFixture[str],
    port: str,
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    assert "is not a port" in capsys.readouterr().err


def test_a_missing_command_is_a_usage_error(
    service_name: str, main: Callable[[Sequence[str]], int], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert f"usage: {service_name}" in capsys.readouterr().err


@pytest.mark.mysql
def test_a_metrics_port_that_cannot_be_listened_on_is_one_line(
    service_name: str,
    main: Callable[[Sequence[str]], int],
    database: MySQLSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["migrate"]) == 0
    capsys.readouterr()
    port = free_port()
    monkeypatch.setenv("EDA_METRICS_PORT", str(port))
    assert main(["serve", "--port", str(port)]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"{service_name}: EDA_METRICS_PORT {port} is the API's own port"
    )
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setenv("EDA_METRICS_PORT", str(busy))
        assert main(["serve", "--host", "127.0.0.1", "--port", str(free_port())]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"{service_name}: cannot serve metrics on 127.0.0.1:{busy}")
    assert "(EDA_METRICS_PORT)" in line
