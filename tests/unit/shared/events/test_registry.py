"""The event registry: every type of the flow, looked up by type and version, each
version registered once."""

from __future__ import annotations

from typing import ClassVar

import pytest

from shared.errors import UnknownEventTypeError
from shared.events import (
    Event,
    OrderPlacedV1,
    UserRegisteredV1,
    event_types,
    latest,
    lookup,
    register,
)


def test_every_event_type_of_the_flow_is_registered() -> None:
    assert event_types() == [
        "order.cancelled",
        "order.confirmed",
        "order.placed",
        "order.rejected",
        "user.deactivated",
        "user.registered",
    ]


def test_lookup_finds_a_model_by_type_and_version() -> None:
    assert lookup("order.placed", 1) is OrderPlacedV1
    assert latest("user.registered") is UserRegisteredV1


@pytest.mark.parametrize(("event_type", "version"), [("order.shipped", 1), ("order.placed", 2)])
def test_lookup_of_an_unregistered_version_is_a_permanent_error(
    event_type: str, version: int
) -> None:
    with pytest.raises(UnknownEventTypeError):
        lookup(event_type, version)


def test_registering_another_model_under_a_taken_version_fails() -> None:
    class Impostor(Event):
        event_type: ClassVar[str] = "order.placed"
        version: ClassVar[int] = 1

        @property
        def aggregate_id(self) -> str:
            return "x"

    with pytest.raises(ValueError, match="already registered"):
        register(Impostor)
