"""``user-service migrate`` and ``serve``: idempotent migration, one clear line on failure."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

from eda_local.tansu import free_port
from shared.settings import MySQLSettings
from tests.support.mysql import mysql_settings_for_tests, throwaway_database
from user_service.entrypoints.cli import main


@pytest.fixture
async def database(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[MySQLSettings]:
    """An empty database the CLI is pointed at through EDA_* variables."""
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


def test_migrate_applies_everything_once(
    database: MySQLSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "applied shared:0001_processed_events",
        "applied shared:0002_outbox",
        "applied user_service:0001_users",
        "applied user_service:0002_order_ledger",
    ]
    assert main(["migrate"]) == 0
    assert "nothing to apply" in one_line(capsys.readouterr().out)


def test_a_bad_setting_is_one_line_naming_the_variable(
    database: MySQLSettings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "eighty")
    assert main(["migrate"]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith("user-service: invalid settings")
    assert "EDA_HTTP_PORT" in line


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_an_unreachable_database_is_one_line(
    database: MySQLSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    port = free_port()
    monkeypatch.setenv("EDA_MYSQL__PORT", str(port))
    monkeypatch.setenv("EDA_MYSQL__CONNECT_TIMEOUT_S", "1")
    assert main([command]) == 1
    assert f"cannot use MySQL at {database.host}:{port}" in one_line(capsys.readouterr().err)


def test_serving_an_unmigrated_database_says_to_migrate(
    database: MySQLSettings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 1
    assert "run `user-service migrate` first" in one_line(capsys.readouterr().err)


def test_a_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "usage: user-service" in capsys.readouterr().err
