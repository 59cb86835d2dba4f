"""Auth switched on without a usable key stops either service at start, with one line
naming the variable, before any database or port is touched."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import pytest

from order_service.entrypoints.cli import main as order_service
from tests.integration.auth.keys import KeyPair
from user_service.entrypoints.cli import main as user_service

Main = Callable[[Sequence[str] | None], int]


@pytest.fixture(autouse=True)
def only_auth_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("EDA_"):
            monkeypatch.delenv(name)
    # Nothing listens here: reaching the database would be a different failure.
    monkeypatch.setenv("EDA_MYSQL__PORT", "1")


@pytest.mark.parametrize(
    ("main", "name"), [(user_service, "user-service"), (order_service, "order-service")]
)
@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_enabled_without_a_key_exits_1_naming_eda_auth_key(
    main: Main,
    name: str,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    assert main([command]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{name}: invalid settings:")
    assert "EDA_AUTH__KEY: required when EDA_AUTH__ENABLED is true" in line


@pytest.mark.parametrize("main", [user_service, order_service])
def test_a_private_key_in_the_environment_is_named_but_never_printed(
    main: Main,
    rsa_keys: KeyPair,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__KEY", rsa_keys.signing_key)
    assert main(["serve"]) == 1
    err = capsys.readouterr().err
    assert "EDA_AUTH__KEY: the key is a private key" in err
    assert "PRIVATE KEY" not in err
