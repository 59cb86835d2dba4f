"""Make sure a subscriber's topic or queue and its dead-letter destination exist.

With a subscriber scaled to zero nobody else declares them, and on RabbitMQ an
unbound queue means events published meanwhile wait in ``events.unrouted``
instead of in the backlog that would scale the subscriber up. The shared adapters'
own declarations are used, so the result is what a starting subscriber declares.
"""

from __future__ import annotations

import asyncio

import aio_pika

from scaling_operator.spec import KafkaSource, RabbitMQSource, Source
from shared.events import event_types
from shared.messaging.kafka.naming import dead_letter_topic_for, topic_for
from shared.messaging.kafka.topics import TopicProvisioner
from shared.messaging.rabbitmq.topology import declare_subscriber_queue, queue_name
from shared.messaging.types import Subscription
from shared.settings import KafkaSettings, RabbitMQSettings


class UnknownEventTypeError(LookupError):
    """The queue's name does not say which event type to bind it to."""


async def ensure_topology(
    kafka: KafkaSettings, rabbitmq: RabbitMQSettings, source: Source, timeout_s: float
) -> str:
    """Declare what is missing; return what was ensured, for the log."""
    async with asyncio.timeout(timeout_s):
        if isinstance(source, KafkaSource):
            return await ensure_kafka_topics(kafka, source)
        return await ensure_rabbitmq_queue(rabbitmq, source)


async def ensure_kafka_topics(settings: KafkaSettings, source: KafkaSource) -> str:
    topic = topic_for(settings, source.topic)
    dead_letters = dead_letter_topic_for(settings, source.consumer_group)
    provisioner = TopicProvisioner(settings)
    partitions = source.partitions or settings.partitions
    await provisioner.ensure({topic}, partitions=partitions)
    # One partition, as the subscriber's own dead-lettering creates it.
    await provisioner.ensure({dead_letters}, partitions=1)
    return f"Kafka topics {topic} ({partitions} partitions when created) and {dead_letters}"


async def ensure_rabbitmq_queue(settings: RabbitMQSettings, source: RabbitMQSource) -> str:
    event_type = event_type_of_subscriber(source.queue)
    connection = await aio_pika.connect(settings.url)
    async with connection:
        channel = await connection.channel()
        await declare_subscriber_queue(channel, settings, Subscription(source.queue, event_type))
    return (
        f"RabbitMQ queue {queue_name(settings, source.queue)} bound to {event_type}"
        f" on {settings.exchange}, with its dead-letter exchange and queue"
    )


def event_type_of_subscriber(subscriber: str) -> str:
    """``orders.order-placed`` → ``order.placed``: subscribers are named
    ``<context>.<event type with dashes>``, matched against the registered event types."""
    _, _, dashed = subscriber.partition(".")
    matches = [name for name in event_types() if name.replace(".", "-") == dashed]
    if len(matches) != 1:
        raise UnknownEventTypeError(
            f"queue {subscriber!r} does not name one known event type as"
            f" <context>.<event type with dashes>; known: {', '.join(event_types())}"
        )
    return matches[0]
