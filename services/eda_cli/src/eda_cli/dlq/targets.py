"""Which subscribers exist, which event type each handles and which broker carries it.

The names come from ``shared.subscribers``, the table the subscriber processes run
from; the broker from the same routing settings the
services use (``EDA_DEFAULT_BROKER``, ``EDA_ROUTES``), unless ``--broker`` says
otherwise. A subscriber outside that table can be named with its event type; one in
it cannot be given another (its replays would go to that event type's topic).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.messaging import broker_for
from shared.settings import BrokerKind, Settings
from shared.subscribers import SUBSCRIBER_NAMES


class UnknownSubscriberError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class Target:
    subscriber: str
    event_type: str
    broker: BrokerKind


def known_subscribers() -> Mapping[str, str]:
    """Subscriber name -> event type."""
    return {subscriber.name: subscriber.event_type for subscriber in SUBSCRIBER_NAMES}


def resolve(
    settings: Settings,
    subscriber: str,
    *,
    event_type: str | None = None,
    broker: BrokerKind | None = None,
) -> Target:
    known = known_subscribers()
    listed_type = known.get(subscriber)
    if event_type is not None and listed_type is not None and event_type != listed_type:
        raise UnknownSubscriberError(
            f"subscriber {subscriber!r} handles {listed_type}, not {event_type}"
            " (--event-type is for subscribers that shared.subscribers does not list)"
        )
    event_type = event_type or listed_type
    if event_type is None:
        listed = ", ".join(sorted(known))
        raise UnknownSubscriberError(
            f"unknown subscriber {subscriber!r}; known subscribers: {listed}"
            " (for another subscriber, name its event type with --event-type)"
        )
    return Target(subscriber, event_type, broker or broker_for(settings, event_type))


def every_target(settings: Settings, broker: BrokerKind | None = None) -> list[Target]:
    return [
        Target(name, event_type, broker or broker_for(settings, event_type))
        for name, event_type in sorted(known_subscribers().items())
    ]
