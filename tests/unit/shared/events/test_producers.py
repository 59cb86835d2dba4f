"""Every event type has one producer, and the subscribers accept that one's source only."""

from __future__ import annotations

import pytest

from order_service.config import SERVICE as ORDER_SERVICE
from shared.errors import UnknownEventTypeError
from shared.events import event_types
from shared.events.producers import PRODUCERS, allowed_source, event_types_of, producer_of
from subscribers.catalog import SUBSCRIBERS
from user_service.config import SERVICE as USER_SERVICE


def test_every_registered_event_type_has_a_producer() -> None:
    assert sorted(PRODUCERS) == event_types()


def test_the_services_publish_under_the_source_their_consumers_accept() -> None:
    for service in (USER_SERVICE, ORDER_SERVICE):
        for event_type in event_types_of(service.name):
            assert allowed_source(event_type) == service.source


def test_the_contexts_raise_events_under_their_services_source() -> None:
    # A context's handlers raise their service's events (order.confirmed from the
    # order-placed subscriber): under the source its consumers accept.
    for subscriber in SUBSCRIBERS.values():
        service = {"orders": ORDER_SERVICE, "users": USER_SERVICE}[subscriber.context]
        assert subscriber.source == service.source


def test_every_subscriber_process_accepts_only_its_types_producer() -> None:
    for event_type, subscriber in SUBSCRIBERS.items():
        assert subscriber.subscription.source == allowed_source(event_type)
        assert subscriber.subscription.event_type == event_type


def test_an_undeclared_type_has_no_producer() -> None:
    with pytest.raises(UnknownEventTypeError, match=r"no producer is declared for 'user\.renamed'"):
        producer_of("user.renamed")
