"""Auth switched on without a usable key stops either service at start, with one line
naming the variable, before any database or port is touched; so does an identity
provider answering with no usable key set, while one that cannot be reached is only
logged (the service retries it)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence

import pytest

from order_service.entrypoints.cli import main as order_service
from tests.support.jwt_keys import KeyPair
from tests.support.secured.certs import Certificates
from tests.support.secured.oidc_provider import RunningProvider
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


@pytest.mark.parametrize(
    ("main", "name"), [(user_service, "user-service"), (order_service, "order-service")]
)
async def test_a_provider_with_no_usable_keys_stops_serve_with_one_line(
    main: Main, name: str, provider_variables: RunningProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    oidc = provider_variables
    oidc.provider.jwks_override = {"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hs"}]}
    assert await asyncio.to_thread(main, ["serve"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"{name}: identity provider at {oidc.provider.jwks_url}: the JWKS holds no signing key"
        " with a kid for RS256; check EDA_AUTH__ISSUER and EDA_AUTH__ALGORITHMS"
    )


async def test_an_unreachable_provider_does_not_stop_serve(
    provider_variables: RunningProvider,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    await provider_variables.stop_listening()
    with caplog.at_level(logging.WARNING, logger="shared.http.jwks"):
        assert await asyncio.to_thread(user_service, ["serve"]) == 1
    # It went on to the next check: the database, which nothing serves here.
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("user-service: cannot use MySQL database")
    assert "the identity provider's keys could not be fetched yet" in caplog.text + err


@pytest.fixture
def provider_variables(
    monkeypatch: pytest.MonkeyPatch, oidc: RunningProvider, tls_certs: Certificates
) -> RunningProvider:
    """Auth on, keys discovered from ``oidc``."""
    monkeypatch.setenv("EDA_AUTH__ENABLED", "true")
    monkeypatch.setenv("EDA_AUTH__ISSUER", oidc.provider.issuer)
    monkeypatch.setenv("EDA_AUTH__AUDIENCE", "eda-api")
    monkeypatch.setenv("EDA_AUTH__DISCOVERY", "true")
    monkeypatch.setenv("EDA_AUTH__CA_FILE", str(tls_certs.ca))
    return oidc
