"""Settings from ``EDA_*`` variables: nested groups, errors naming the variable, the
service defaults."""

from __future__ import annotations

import pytest

from shared.settings import BrokerKind, load_settings, with_service_defaults
from tests.support.settings import refusal


def test_nested_settings_come_from_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EDA_KAFKA__BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("EDA_KAFKA__IDEMPOTENT_PRODUCER", "false")
    monkeypatch.setenv("EDA_RABBITMQ__PREFETCH", "32")
    monkeypatch.setenv("EDA_ROUTES", '{"order.placed": "rabbitmq"}')
    settings = load_settings()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.kafka.idempotent_producer is False
    assert settings.rabbitmq.prefetch == 32
    assert settings.routes == {"order.placed": BrokerKind.RABBITMQ}


def test_a_malformed_variable_is_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, EDA_RABBITMQ__PREFETCH="lots", EDA_DEFAULT_BROKER="pulsar")
    assert "EDA_RABBITMQ__PREFETCH" in message
    assert "EDA_DEFAULT_BROKER" in message
    assert "'lots'" in message


def test_service_defaults_apply_only_where_the_environment_chose_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EDA_SOURCE", raising=False)
    monkeypatch.setenv("EDA_MYSQL__DATABASE", "orders_staging")
    settings = with_service_defaults(load_settings(), source="urn:eda:x", database="orders")
    assert settings.source == "urn:eda:x"
    assert settings.mysql.database == "orders_staging"
