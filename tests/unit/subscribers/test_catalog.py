from __future__ import annotations

import pytest

from shared.events import event_types
from shared.settings import load_settings
from subscribers.catalog import SUBSCRIBERS, UnknownSubscriberError, subscriber_for
from subscribers.cli import main


def test_every_event_type_has_exactly_one_subscriber_in_the_context_it_changes() -> None:
    assert sorted(SUBSCRIBERS) == event_types()
    contexts = {event_type: s.context for event_type, s in SUBSCRIBERS.items()}
    assert contexts == {
        "user.registered": "orders",
        "user.deactivated": "orders",
        "order.placed": "orders",
        "order.confirmed": "users",
        "order.cancelled": "users",
        "order.rejected": "users",
    }


def test_subscriber_names_name_their_context_and_are_unique() -> None:
    names = [s.name for s in SUBSCRIBERS.values()]
    assert len(set(names)) == len(names)
    assert all(s.name.startswith(f"{s.context}.") for s in SUBSCRIBERS.values())


def test_only_order_confirmed_has_a_batch_form_of_its_handler() -> None:
    settings = load_settings()
    with_batch_form = {
        event_type for event_type, s in SUBSCRIBERS.items() if s.handlers(settings).many
    }
    assert with_batch_form == {"order.confirmed"}


def test_an_unknown_event_type_is_refused_with_the_known_ones() -> None:
    with pytest.raises(UnknownSubscriberError, match=r"order\.placed"):
        subscriber_for("order.shipped")


def test_the_command_exits_non_zero_for_an_unknown_event_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["order.shipped"]) == 1
    assert "no subscriber handles 'order.shipped'" in capsys.readouterr().err
