"""Make sure a subscriber's topic or queue and its dead-letter destination exist.

With a subscriber scaled to zero nobody else declares them, and on RabbitMQ an
unbound queue means events published meanwhile wait in ``events.unrouted``
instead of in the backlog that would scale the subscriber up. The shared adapters'
own declarations are used, so the result is what a starting subscriber declares.

The resource names the topic, group and queue as they are on the broker, prefixes
included; the prefixes of the operator's settings are used only to tell which event
type a queue is for.
"""

from __future__ import annotations

import asyncio

from scaling_operator.spec import KafkaSource, RabbitMQSource, Source
from shared.links import connect_rabbitmq
from shared.messaging import Subscription, dead_letter_topic
from shared.messaging.kafka import TopicProvisioner
from shared.messaging.rabbitmq import declare_subscriber_queue
from shared.settings import KafkaSettings, RabbitMQSettings
from shared.subscribers import BY_NAME, UnknownSubscriberError, subscriber_named


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
    # The group carries the prefix, as the resource names it.
    dead_letters = dead_letter_topic(source.consumer_group)
    provisioner = TopicProvisioner(settings)
    partitions = source.partitions or settings.partitions
    await provisioner.ensure({source.topic}, partitions=partitions)
    # One partition, as the subscriber's own dead-lettering creates it.
    await provisioner.ensure({dead_letters}, partitions=1)
    return f"Kafka topics {source.topic} ({partitions} partitions when created) and {dead_letters}"


async def ensure_rabbitmq_queue(settings: RabbitMQSettings, source: RabbitMQSource) -> str:
    event_type = event_type_of_queue(source.queue, settings.queue_prefix)
    connection = await connect_rabbitmq(settings)  # amqps and its CA as EDA_RABBITMQ__* say
    async with connection:
        channel = await connection.channel()
        await declare_subscriber_queue(
            channel,
            settings.model_copy(update={"queue_prefix": ""}),
            Subscription(source.queue, event_type),
        )
    return (
        f"RabbitMQ queue {source.queue} bound to {event_type} on {settings.exchange},"
        " with its dead-letter exchange and queue"
    )


def event_type_of_queue(queue: str, prefix: str) -> str:
    """``<prefix>orders.order-placed`` → ``order.placed``: the queue is named after its
    subscriber, whose event type ``shared.subscribers`` lists."""
    try:
        return subscriber_named(queue.removeprefix(prefix)).event_type
    except UnknownSubscriberError:
        known = ", ".join(sorted(BY_NAME))
        raise UnknownEventTypeError(
            f"queue {queue!r} is not {prefix}<subscriber name> for a known subscriber;"
            f" known: {known}"
        ) from None
