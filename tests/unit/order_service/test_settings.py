"""Service settings and defaults: port 8002, database orders, one line on a bad value."""

from __future__ import annotations

import pytest

from order_service.bootstrap import with_service_defaults
from order_service.config import load_service_settings
from order_service.entrypoints.cli import main
from shared.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EDA_HTTP_HOST", "EDA_HTTP_PORT", "EDA_MAX_BODY_BYTES", "EDA_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("EDA_MYSQL__DATABASE", raising=False)


def test_defaults() -> None:
    service = load_service_settings()
    assert (service.http_host, service.http_port, service.max_body_bytes) == (
        "127.0.0.1",
        8002,
        65536,
    )
    settings = with_service_defaults(load_settings())
    assert settings.mysql.database == "orders"
    assert settings.source == "urn:eda:order-service"


def test_the_environment_wins_over_the_service_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "9100")
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "orders_staging")
    monkeypatch.setenv("EDA_MYSQL__HOST", "db.internal")
    settings = with_service_defaults(load_settings())
    assert load_service_settings().http_port == 9100
    assert (settings.mysql.database, settings.mysql.host) == ("orders_staging", "db.internal")


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "70000")
    with pytest.raises(SettingsError, match="EDA_HTTP_PORT"):
        load_service_settings()


def test_the_cli_prints_one_line_and_fails_on_a_bad_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EDA_MAX_BODY_BYTES", "lots")
    assert main(["migrate"]) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "EDA_MAX_BODY_BYTES" in error
