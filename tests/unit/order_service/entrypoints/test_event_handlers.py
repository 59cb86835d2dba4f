"""The orders context's handlers: one subscriber name per event type, the unknown-customer
window from EDA_UNKNOWN_CUSTOMER_WAIT_S, and a wrong event refused as permanent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import cast

import pytest

from order_service.config import load_event_handler_settings
from order_service.entrypoints.event_handlers import EVENT_HANDLERS
from shared.db import UnitOfWork
from shared.envelope import wrap
from shared.errors import PermanentError
from shared.events import UserDeactivatedV1
from shared.settings import Settings, SettingsError

WAIT_VARIABLE = "EDA_UNKNOWN_CUSTOMER_WAIT_S"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WAIT_VARIABLE, raising=False)


def test_each_event_of_the_orders_context_has_its_subscriber_and_handler() -> None:
    assert {event_type: s.name for event_type, s in EVENT_HANDLERS.names.items()} == {
        "user.registered": "orders.user-registered",
        "user.deactivated": "orders.user-deactivated",
        "order.placed": "orders.order-placed",
    }
    assert set(EVENT_HANDLERS.bind(Settings())) == set(EVENT_HANDLERS.names)


def test_an_unknown_customer_is_waited_for_thirty_seconds_by_default() -> None:
    assert load_event_handler_settings().unknown_customer_wait_s == 30.0


def test_the_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WAIT_VARIABLE, "2.5")
    assert load_event_handler_settings().unknown_customer_wait_s == 2.5


@pytest.mark.parametrize("value", ["-1", "soon", "3601"])
def test_a_bad_window_names_its_variable_when_the_handlers_are_built(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(WAIT_VARIABLE, value)
    with pytest.raises(SettingsError, match=WAIT_VARIABLE):
        EVENT_HANDLERS.bind(Settings())


async def test_an_event_of_another_type_is_refused_as_permanent_before_any_write() -> None:
    event = UserDeactivatedV1(user_id=uuid.uuid4(), deactivated_at=datetime.now(UTC))
    handler = EVENT_HANDLERS.bind(Settings())["order.placed"].one
    no_database = cast(UnitOfWork, object())
    with pytest.raises(PermanentError, match=r"expected order\.placed v1"):
        await handler(event, wrap(event, source="urn:eda:user-service"), no_database)
