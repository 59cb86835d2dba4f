"""No secret outside a Secret: the chart puts configured passwords only into Secret
objects, the values files and Dockerfiles hold none, and the processes never print
the credentials they were given, even when those credentials are refused."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from eda_local.tansu import free_port
from tests.deploy.chart import CHART, REPO, documents, helm, render

BIN = Path(sys.executable).parent


def _secret(name: str) -> str:
    return f"{name}-{secrets.token_hex(12)}"


def _chosen_passwords() -> dict[str, str]:
    """A fresh password for every credential the chart takes, by its values key."""
    return {
        "rabbitmq.password": _secret("amqp"),
        "mysql.databases.users.password": _secret("users"),
        "mysql.databases.orders.password": _secret("orders"),
        "infrastructure.mysql.rootPassword": _secret("root"),
    }


def _set_arguments(chosen: dict[str, str]) -> list[str]:
    return [argument for key, value in chosen.items() for argument in ("--set", f"{key}={value}")]


def test_configured_passwords_appear_only_in_secrets() -> None:
    chosen = _chosen_passwords()
    manifests = documents(render("values-local.yaml", *_set_arguments(chosen)))
    found_in_secrets: set[str] = set()
    for manifest in manifests:
        text = yaml.safe_dump(manifest)
        if manifest["kind"] == "Secret":
            decoded = text + "".join(
                base64.b64decode(value).decode(errors="replace")
                for value in (manifest.get("data") or {}).values()
            )
            found_in_secrets |= {value for value in chosen.values() if value in decoded}
            continue
        leaked = [key for key, value in chosen.items() if value in text]
        assert not leaked, f"{manifest['kind']} {manifest['metadata']['name']} holds {leaked}"
    assert found_in_secrets == set(chosen.values())  # each password did reach its Secret


def _leaks(manifests: list[dict[str, object]], chosen: dict[str, str]) -> list[str]:
    return [
        f"{manifest['kind']} {manifest['metadata']['name']} holds {key}"  # type: ignore[index]
        for manifest in manifests
        for key, value in chosen.items()
        if value in yaml.safe_dump(manifest)
    ]


def test_with_existing_secrets_no_configured_secret_reaches_any_object() -> None:
    """Staging names existing Secrets for every credential: a password also left in
    values (by mistake, or from a shared values file) must reach no object at all,
    Secrets included, whatever connection settings are on."""
    chosen = _chosen_passwords()
    manifests = documents(render("values-staging.yaml", *_set_arguments(chosen)))
    assert [m for m in manifests if m["kind"] == "Secret"] == []
    assert _leaks(manifests, chosen) == []


@pytest.mark.parametrize(
    ("key", "url", "schema_path", "extra"),
    [
        ("operator.rabbitmqManagementUrl", "https://monitor:{secret}@rabbitmq.example.com:15671",
         "/operator/rabbitmqManagementUrl", []),
        ("telemetry.otlpEndpoint", "https://otel:{secret}@collector.example.com:4318",
         "/telemetry/otlpEndpoint", []),
        ("kafka.security.oauthbearer.tokenEndpointUrl",
         "https://client:{secret}@id.example.com/oauth2/token",
         "/kafka/security/oauthbearer/tokenEndpointUrl",
         ["kafka.security.protocol=SASL_SSL", "kafka.security.saslMechanism=OAUTHBEARER",
          "kafka.security.existingSecret=eda-kafka-oidc"]),
    ],
)  # fmt: skip
def test_a_url_value_carrying_a_password_is_refused(
    key: str, url: str, schema_path: str, extra: list[str]
) -> None:
    """URL values reach plain env or the ConfigMap: credentials in them would sit in
    every pod spec. The schema refuses user info; credentials come from Secrets."""
    secret = _secret("url")
    arguments = [f"{key}={url.format(secret=secret)}", *extra]
    result = helm(
        "template", "eda", str(CHART), "--values", str(CHART / "values-staging.yaml"),
        *(a for argument in arguments for a in ("--set", argument)),
    )  # fmt: skip
    leaked = result.returncode == 0 and secret in result.stdout
    assert not leaked, f"{key}'s password is in the rendered objects"
    assert result.returncode != 0
    assert schema_path in result.stderr, result.stderr


def test_values_files_and_dockerfiles_hold_no_credentials() -> None:
    for values_file in sorted(CHART.glob("values*.yaml")):
        values = yaml.safe_load(values_file.read_text())
        for path, value in _leaves(values):
            field = path.rsplit(".", 1)[-1].lower()
            if field.endswith(("password", "token")):
                assert value in ("", None), f"{values_file.name}: {path} is set"
    for dockerfile in sorted((REPO / "deploy" / "docker").glob("*.Dockerfile")):
        text = dockerfile.read_text().lower()
        for word in ("password", "secret", "token"):
            assert f"{word}=" not in text, f"{dockerfile.name} sets a {word}"


def _leaves(node: object, path: str = "") -> list[tuple[str, object]]:
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in _leaves(value, f"{path}.{key}")]
    return [(path, node)]


@pytest.mark.parametrize(
    "command",
    [
        ["order-service", "serve", "--port", "0"],
        ["user-service", "serve", "--port", "0"],
        ["subscriber", "order.placed", "--port", "0"],
        ["order-service", "migrate"],
    ],
)
def test_refused_credentials_are_not_printed(command: list[str]) -> None:
    database_password = _secret("db")
    broker_password = _secret("amqp")
    auth_key = _secret("hs256") + secrets.token_hex(16)
    environment = {
        **os.environ,
        "EDA_MYSQL__USER": "nobody",
        "EDA_MYSQL__PASSWORD": database_password,
        "EDA_RABBITMQ__URL": f"amqp://someone:{broker_password}@127.0.0.1:{free_port()}/",
        "EDA_AUTH__ENABLED": "true",
        "EDA_AUTH__ISSUER": "https://login.example.test/",
        "EDA_AUTH__AUDIENCE": "eda-api",
        "EDA_AUTH__ALGORITHMS": "HS256",
        "EDA_AUTH__KEY": auth_key,
        "EDA_LOG_LEVEL": "DEBUG",
    }
    result = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output  # the database refused "nobody"
    assert output.strip(), "it should say why it stopped"
    for secret in (database_password, broker_password, auth_key):
        assert secret not in output


def test_a_malformed_secret_setting_is_named_but_not_echoed() -> None:
    not_a_key = _secret("not-a-pem-key")
    result = subprocess.run(
        [str(BIN / "order-service"), "migrate"],
        env={
            **os.environ,
            "EDA_MYSQL__USER": "nobody",  # nothing may be migrated should it get that far
            "EDA_AUTH__ENABLED": "true",
            "EDA_AUTH__KEY": not_a_key,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "EDA_AUTH__KEY" in result.stderr
    assert not_a_key not in result.stdout + result.stderr
