"""Every name a subscription has on the brokers: the Kafka topic, group and dead-letter
topic, the RabbitMQ exchange, queue and dead-letter exchange and queue.

Prefixes (``EDA_KAFKA__TOPIC_PREFIX``, ``EDA_RABBITMQ__QUEUE_PREFIX``) are applied
here, once: both adapters and everything outside them take their names from the
functions below. The dead-letter names are derived from the broker-side name of the
group or queue, prefix included, so a caller that only has those (the scaling
operator reads them from its resources) gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.messaging.protocols import Subscription
from shared.settings import KafkaSettings, RabbitMQSettings, Settings


@dataclass(frozen=True, slots=True)
class BrokerNames:
    topic: str
    group: str
    dead_letter_topic: str
    exchange: str
    queue: str
    dead_letter_exchange: str
    dead_letter_queue: str


def broker_names(settings: Settings, subscription: Subscription) -> BrokerNames:
    group = group_for(settings.kafka, subscription.subscriber)
    queue = queue_name(settings.rabbitmq, subscription.subscriber)
    return BrokerNames(
        topic=topic_for(settings.kafka, subscription.event_type),
        group=group,
        dead_letter_topic=dead_letter_topic(group),
        exchange=settings.rabbitmq.exchange,
        queue=queue,
        dead_letter_exchange=dead_letter_exchange(queue),
        dead_letter_queue=dead_letter_queue(queue),
    )


def topic_for(settings: KafkaSettings, event_type: str) -> str:
    return f"{settings.topic_prefix}{event_type}"


def group_for(settings: KafkaSettings, subscriber: str) -> str:
    return f"{settings.topic_prefix}{subscriber}"


def dead_letter_topic_for(settings: KafkaSettings, subscriber: str) -> str:
    return dead_letter_topic(group_for(settings, subscriber))


def queue_name(settings: RabbitMQSettings, subscriber: str) -> str:
    return f"{settings.queue_prefix}{subscriber}"


def unrouted_name(settings: RabbitMQSettings) -> str:
    """The alternate exchange of the events exchange, and its parking queue."""
    return f"{settings.exchange}.unrouted"


def dead_letter_topic(group: str) -> str:
    """The Kafka dead-letter topic of the consumer group ``group`` (prefix included)."""
    return f"{group}.dlq"


def dead_letter_exchange(queue: str) -> str:
    return f"{queue}.dlx"


def dead_letter_queue(queue: str) -> str:
    """The RabbitMQ dead-letter queue of the queue ``queue`` (prefix included)."""
    return f"{queue}.dlq"
