"""This service's settings: its own defaults over the shared ones, bad variables named."""

from __future__ import annotations

import os

import pytest

from shared.settings import SettingsError
from user_service.bootstrap.settings import load_user_service_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("EDA_"):
            monkeypatch.delenv(name)


def test_defaults_name_this_service_and_its_database() -> None:
    settings = load_user_service_settings()
    assert settings.platform.mysql.database == "users"
    assert settings.platform.source == "urn:eda:user-service"
    assert (settings.service.http_host, settings.service.http_port) == ("127.0.0.1", 8001)
    assert settings.service.max_body_bytes == 64 * 1024


def test_explicit_variables_win_over_the_service_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "users_staging")
    monkeypatch.setenv("EDA_SOURCE", "urn:eda:user-service:staging")
    monkeypatch.setenv("EDA_HTTP_PORT", "9001")
    monkeypatch.setenv("EDA_MYSQL__HOST", "db.internal")
    settings = load_user_service_settings()
    assert settings.platform.mysql.database == "users_staging"
    assert settings.platform.mysql.host == "db.internal"
    assert settings.platform.source == "urn:eda:user-service:staging"
    assert settings.service.http_port == 9001


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EDA_HTTP_PORT", "eighty"),
        ("EDA_HTTP_PORT", "70000"),
        ("EDA_MAX_BODY_BYTES", "-1"),
        ("EDA_MYSQL__PORT", "none"),
        ("EDA_ROUTES", '{"user.registred": "kafka"}'),
    ],
)
def test_a_bad_variable_is_named_in_the_error(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_user_service_settings()


def test_bad_variables_of_both_groups_are_named_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "eighty")
    monkeypatch.setenv("EDA_MYSQL__POOL_MIN_SIZE", "-1")
    with pytest.raises(SettingsError) as raised:
        load_user_service_settings()
    assert "EDA_HTTP_PORT" in str(raised.value)
    assert "EDA_MYSQL__POOL_MIN_SIZE" in str(raised.value)
