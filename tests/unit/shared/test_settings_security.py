"""Combinations that would connect differently from what was meant are refused at start,
with the variables named; secrets are never echoed back."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.settings import SettingsError, load_settings
from tests.support.settings import refusal


def test_a_ca_on_a_plaintext_kafka_link_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, EDA_KAFKA__SSL_CAFILE="/etc/ca.crt")
    assert "EDA_KAFKA__SSL_CAFILE is set but EDA_KAFKA__SECURITY_PROTOCOL is PLAINTEXT" in message


def test_sasl_needs_a_mechanism_and_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "needs EDA_KAFKA__SASL_MECHANISM" in refusal(
        monkeypatch, EDA_KAFKA__SECURITY_PROTOCOL="SASL_SSL"
    )
    message = refusal(monkeypatch, EDA_KAFKA__SASL_MECHANISM="SCRAM-SHA-512")
    assert "EDA_KAFKA__SASL_USERNAME and EDA_KAFKA__SASL_PASSWORD" in message


def test_oauthbearer_needs_an_https_endpoint_and_a_client(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch,
        EDA_KAFKA__SECURITY_PROTOCOL="SASL_SSL",
        EDA_KAFKA__SASL_MECHANISM="OAUTHBEARER",
        EDA_KAFKA__SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL="ftp://id.example.com/token",
    )
    assert "EDA_KAFKA__SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL must be an https:// URL" in message


def test_unknown_values_are_refused_with_the_allowed_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch, EDA_KAFKA__SASL_MECHANISM="GSSAPI", EDA_KAFKA__SECURITY_PROTOCOL="SASL_SSL"
    )
    assert "EDA_KAFKA__SASL_MECHANISM" in message
    assert "'SCRAM-SHA-512'" in message
    assert "'VERIFY_IDENTITY'" in refusal(monkeypatch, EDA_MYSQL__SSL_MODE="verify-full")


def test_rabbitmq_tls_files_need_an_amqps_url(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, EDA_RABBITMQ__SSL_CAFILE="/etc/ca.crt")
    assert "EDA_RABBITMQ__SSL_CAFILE is set but EDA_RABBITMQ__URL is not amqps://" in message


def test_mysql_tls_files_with_tls_disabled_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, EDA_MYSQL__SSL_MODE="DISABLED", EDA_MYSQL__SSL_CA="/etc/ca.crt")
    assert "EDA_MYSQL__SSL_MODE is DISABLED" in message


def test_a_typo_in_a_known_group_is_refused_with_the_nearest_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = refusal(monkeypatch, EDA_KAFKA__SECURITY_PROTCOL="SSL")
    assert (
        "EDA_KAFKA__SECURITY_PROTCOL: not a setting; did you mean EDA_KAFKA__SECURITY_PROTOCOL?"
        in message
    )
    message = refusal(monkeypatch, EDA_MYSQL__SSLMODE="REQUIRED")
    assert "did you mean EDA_MYSQL__SSL_MODE?" in message


def test_variables_outside_the_groups_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_TEST_KAFKA_BOOTSTRAP", "x")
    monkeypatch.setenv("EDA_OPERATOR__WHATEVER", "x")  # the operator checks its own group
    monkeypatch.setenv("EDA_MYSQL__PASSWORD_FILE", "/dev/null/none")
    with pytest.raises(SettingsError, match="EDA_MYSQL__PASSWORD_FILE: cannot read"):
        load_settings()


def test_a_password_comes_from_a_file_and_is_never_shown(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-a-file-pw\n")
    monkeypatch.setenv("EDA_MYSQL__PASSWORD_FILE", str(secret))
    monkeypatch.setenv("EDA_KAFKA__SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("EDA_KAFKA__SASL_MECHANISM", "PLAIN")
    monkeypatch.setenv("EDA_KAFKA__SASL_USERNAME", "eda")
    monkeypatch.setenv("EDA_KAFKA__SASL_PASSWORD_FILE", str(secret))
    settings = load_settings()
    assert settings.mysql.password == "from-a-file-pw"
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "from-a-file-pw"
    assert "from-a-file-pw" not in repr(settings)


def test_a_value_and_its_file_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("pw-in-file")
    message = refusal(
        monkeypatch, EDA_MYSQL__PASSWORD="pw-in-env", EDA_MYSQL__PASSWORD_FILE=str(secret)
    )
    assert "EDA_MYSQL__PASSWORD_FILE: set this or the variable without _FILE" in message
    assert "pw-in-env" not in message
    assert "pw-in-file" not in message


def test_a_bad_secret_is_refused_without_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch,
        EDA_KAFKA__SECURITY_PROTOCOL="SASL_SSL",
        EDA_KAFKA__SASL_MECHANISM="SCRAM-SHA-512",
        EDA_KAFKA__SASL_PASSWORD="hunter2-secret",
    )
    assert "hunter2-secret" not in message
