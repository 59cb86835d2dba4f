"""Every broker name of a subscription, prefixes applied once, in shared.messaging.names."""

from __future__ import annotations

from shared.messaging import (
    Subscription,
    broker_names,
    dead_letter_topic_for,
    group_for,
    queue_name,
    topic_for,
    unrouted_name,
)
from shared.settings import load_settings

SUBSCRIPTION = Subscription(event_type="order.placed", subscriber="orders.order-placed")


def test_the_prefixes_are_applied_to_every_name() -> None:
    settings = load_settings(
        kafka={"topic_prefix": "stg."},
        rabbitmq={"exchange": "stg.events", "queue_prefix": "q."},
    )
    names = broker_names(settings, SUBSCRIPTION)
    assert names.topic == "stg.order.placed"
    assert names.group == "stg.orders.order-placed"
    assert names.dead_letter_topic == "stg.orders.order-placed.dlq"
    assert names.exchange == "stg.events"
    assert names.queue == "q.orders.order-placed"
    assert names.dead_letter_exchange == "q.orders.order-placed.dlx"
    assert names.dead_letter_queue == "q.orders.order-placed.dlq"
    assert unrouted_name(settings.rabbitmq) == "stg.events.unrouted"


def test_the_adapters_helpers_give_the_same_names() -> None:
    settings = load_settings(kafka={"topic_prefix": "stg."}, rabbitmq={"queue_prefix": "q."})
    names = broker_names(settings, SUBSCRIPTION)
    assert topic_for(settings.kafka, SUBSCRIPTION.event_type) == names.topic
    assert group_for(settings.kafka, SUBSCRIPTION.subscriber) == names.group
    assert dead_letter_topic_for(settings.kafka, SUBSCRIPTION.subscriber) == names.dead_letter_topic
    assert queue_name(settings.rabbitmq, SUBSCRIPTION.subscriber) == names.queue
