"""``<service> migrate`` and ``serve`` from the command line: idempotent migration, and
one clear line and a failure exit code for every problem, never a traceback."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Cli:
    """One service's command line, and what it printed."""

    name: str
    main: Callable[[Sequence[str]], int]
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str) -> int:
        return self.main(list(args))

    def out(self) -> str:
        return self.capsys.readouterr().out

    def error_line(self) -> str:
        """The one line the command wrote to stderr."""
        return one_line(self.capsys.readouterr().err)


@pytest.fixture
def cli(service_name: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(service_name, MAINS[service_name], capsys)


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
def test_migrate_applies_everything_once(cli: Cli, database: MySQLSettings) -> None:
    assert cli("migrate") == 0
    assert cli.out().splitlines() == [
        f"applied {version} to {database.database}" for version in EXPECTED[cli.name]
    ]
    assert cli("migrate") == 0
    assert one_line(cli.out()) == (
        f"database {database.database!r} is up to date; nothing to apply"
    )


@pytest.mark.mysql
def test_a_bad_setting_is_one_line_naming_the_variable(
    cli: Cli, database: MySQLSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "eighty")
    assert cli("migrate") == 1
    line = cli.error_line()
    assert line.startswith(f"{cli.name}: invalid settings")
    assert "EDA_HTTP_PORT" in line


@pytest.mark.mysql
@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_database_is_one_line(
    cli: Cli, database: MySQLSettings, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    port = free_port()
    monkeypatch.setenv("EDA_MYSQL__PORT", str(port))
    monkeypatch.setenv("EDA_MYSQL__CONNECT_TIMEOUT_S", "1")
    assert cli(command) == 1
    assert cli.error_line().startswith(
        f"{cli.name}: cannot use MySQL database {database.database!r} at {database.host}:{port}"
    )


@pytest.mark.mysql
def test_serving_an_unmigrated_database_says_to_migrate(cli: Cli, database: MySQLSettings) -> None:
    assert cli("serve") == 1
    assert f"run `{cli.name} migrate` first" in cli.error_line()


@pytest.mark.mysql
def test_serving_a_missing_database_says_to_migrate(
    cli: Cli, database: MySQLSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "t_never_created")
    assert cli("serve") == 1
    line = cli.error_line()
    assert "Unknown database" in line
    assert f"run `{cli.name} migrate` first" in line


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_a_usage_error(
    cli: Cli, capsys: pytest.CaptureFixture[str], port: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli("serve", "--port", port)
    assert exited.value.code == 2
    assert "is not a port" in capsys.readouterr().err


def test_a_missing_command_is_a_usage_error(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli()
    assert exited.value.code == 2
    assert f"usage: {cli.name}" in capsys.readouterr().err


@pytest.mark.mysql
def test_a_metrics_port_that_cannot_be_listened_on_is_one_line(
    cli: Cli, database: MySQLSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("migrate") == 0
    cli.out()
    port = free_port()
    monkeypatch.setenv("EDA_METRICS_PORT", str(port))
    assert cli("serve", "--port", str(port)) == 1
    assert cli.error_line() == f"{cli.name}: EDA_METRICS_PORT {port} is the API's own port"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setenv("EDA_METRICS_PORT", str(busy))
        assert cli("serve", "--host", "127.0.0.1", "--port", str(free_port())) == 1
    line = cli.error_line()
    assert line.startswith(f"{cli.name}: cannot serve metrics on 127.0.0.1:{busy}")
    assert "(EDA_METRICS_PORT)" in line
