"""Broker-neutral messaging: one publisher/consumer interface, an adapter per broker.

What code outside ``shared`` uses is re-exported here; the adapters' own modules
(``kafka/``, ``rabbitmq/``) stay private to ``shared`` (an import-linter contract)."""

from shared.messaging.factory import RoutingPublisher, create_consumer
from shared.messaging.lifecycle import run_until_signalled
from shared.messaging.names import (
    BrokerNames,
    broker_names,
    dead_letter_exchange,
    dead_letter_queue,
    dead_letter_topic,
    dead_letter_topic_for,
    group_for,
    queue_name,
    topic_for,
    unrouted_name,
)
from shared.messaging.protocols import (
    BatchHandler,
    Consumer,
    DeadLetterSink,
    Handler,
    IncomingMessage,
    OutgoingMessage,
    Publisher,
    Subscription,
)
from shared.messaging.routing import broker_for, check_routes

__all__ = [
    "BatchHandler",
    "BrokerNames",
    "Consumer",
    "DeadLetterSink",
    "Handler",
    "IncomingMessage",
    "OutgoingMessage",
    "Publisher",
    "RoutingPublisher",
    "Subscription",
    "broker_for",
    "broker_names",
    "check_routes",
    "create_consumer",
    "dead_letter_exchange",
    "dead_letter_queue",
    "dead_letter_topic",
    "dead_letter_topic_for",
    "group_for",
    "queue_name",
    "run_until_signalled",
    "topic_for",
    "unrouted_name",
]
