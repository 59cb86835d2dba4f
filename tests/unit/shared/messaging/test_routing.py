"""Which broker an event type goes to, and routes checked at start-up."""

from __future__ import annotations

import pytest

from shared.messaging import broker_for, check_routes
from shared.settings import BrokerKind, SettingsError, load_settings


def test_event_types_default_to_kafka_unless_routed() -> None:
    settings = load_settings(routes={"order.placed": "rabbitmq"})
    assert broker_for(settings, "order.placed") is BrokerKind.RABBITMQ
    assert broker_for(settings, "order.confirmed") is BrokerKind.KAFKA


def test_all_events_can_be_moved_to_rabbitmq_by_default() -> None:
    settings = load_settings(default_broker="rabbitmq")
    assert broker_for(settings, "user.registered") is BrokerKind.RABBITMQ


def test_a_route_for_an_unknown_event_type_fails_at_startup() -> None:
    settings = load_settings(routes={"order.plaecd": "rabbitmq"})
    with pytest.raises(SettingsError, match=r"order\.plaecd"):
        check_routes(settings)
