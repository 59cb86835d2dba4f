"""Each service's settings: its own defaults over the shared ones, bad variables of
every group named together, and the command line saying so in one line."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import pytest

from order_service.bootstrap import load_settings as load_order_settings
from order_service.entrypoints.cli import main as order_main
from shared.service import ServiceSettings
from shared.settings import SettingsError
from user_service.bootstrap import load_settings as load_user_settings
from user_service.entrypoints.cli import main as user_main

Loader = Callable[[], ServiceSettings]
SERVICES = {
    "user-service": (load_user_settings, user_main, "users", 8001),
    "order-service": (load_order_settings, order_main, "orders", 8002),
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("EDA_"):
            monkeypatch.delenv(name)


@pytest.fixture(params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def load(service: str) -> ServiceSettings:
    return SERVICES[service][0]()


def test_defaults_name_the_service_its_database_and_port(service: str) -> None:
    _, _, database, port = SERVICES[service]
    settings = load(service)
    assert settings.platform.mysql.database == database
    assert settings.platform.source == f"urn:eda:{service}"
    assert (settings.http.http_host, settings.http_port) == ("127.0.0.1", port)
    assert settings.http.max_body_bytes == 64 * 1024


def test_explicit_variables_win_over_the_service_defaults(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "staging")
    monkeypatch.setenv("EDA_HTTP_PORT", "9001")
    monkeypatch.setenv("EDA_MYSQL__HOST", "db.internal")
    settings = load(service)
    assert (settings.platform.mysql.database, settings.platform.mysql.host) == (
        "staging",
        "db.internal",
    )
    assert settings.http_port == 9001


def test_a_source_other_than_the_services_own_is_refused(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Consumers accept each event type from its producer's source only: a service
    # publishing under another would have every event dead-lettered.
    monkeypatch.setenv("EDA_SOURCE", "urn:eda:staging")
    with pytest.raises(SettingsError) as refused:
        load(service)
    assert str(refused.value).splitlines()[1] == (
        f"EDA_SOURCE: this service publishes as 'urn:eda:{service}', the source its consumers"
        " accept; leave EDA_SOURCE unset"
    )


def test_the_services_own_source_may_be_spelled_out(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDA_SOURCE", f"urn:eda:{service}")
    assert load(service).platform.source == f"urn:eda:{service}"


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
    service: str, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load(service)


def test_bad_variables_of_both_groups_are_named_together_with_their_values(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDA_HTTP_PORT", "eighty")
    monkeypatch.setenv("EDA_MYSQL__POOL_MIN_SIZE", "-1")
    with pytest.raises(SettingsError) as raised:
        load(service)
    assert "EDA_HTTP_PORT" in str(raised.value)
    assert "(got 'eighty')" in str(raised.value)
    assert "EDA_MYSQL__POOL_MIN_SIZE" in str(raised.value)


@pytest.mark.parametrize("command", [["migrate"], ["serve"]])
def test_the_cli_prints_one_line_and_fails_on_a_bad_setting(
    service: str,
    command: Sequence[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EDA_MAX_BODY_BYTES", "lots")
    assert SERVICES[service][1](list(command)) != 0
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert error.startswith(f"{service}: invalid settings:")
    assert "EDA_MAX_BODY_BYTES" in error
