"""Declare the RabbitMQ queues of every RabbitMQ-routed subscriber before anything
publishes: a message published before its queue is bound would wait in
``events.unrouted`` instead of reaching the subscriber."""

from __future__ import annotations

from shared.links import connect_rabbitmq
from shared.messaging import Subscription, broker_for
from shared.messaging.rabbitmq import declare_subscriber_queue
from shared.settings import BrokerKind, Settings
from subscribers.catalog import SUBSCRIBERS


async def provision_queues(settings: Settings) -> list[str]:
    routed = [
        subscriber
        for event_type, subscriber in SUBSCRIBERS.items()
        if broker_for(settings, event_type) is BrokerKind.RABBITMQ
    ]
    if not routed:
        return []
    connection = await connect_rabbitmq(settings.rabbitmq)
    async with connection:
        channel = await connection.channel()
        for subscriber in routed:
            subscription = Subscription(subscriber.name, subscriber.event_type)
            await declare_subscriber_queue(channel, settings.rabbitmq, subscription)
    return [subscriber.name for subscriber in routed]
