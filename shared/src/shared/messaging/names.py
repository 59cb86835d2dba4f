"""Every name a subscription has on the brokers: the Kafka topic, group and dead-letter
topic, the RabbitMQ exchange, queue and dead-letter exchange and queue.

Prefixes (``EDA_KAFKA__TOPIC_PREFIX``, ``EDA_RABBITMQ__QUEUE_PREFIX``) are applied
here, once. The dead-letter names are derived from the broker-side name of the
group or queue, prefix included, so a caller that only has those (the scaling
operator reads them from its resources) gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.messaging.protocols import Subscription
from shared.settings import Settings


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
    group = settings.kafka.topic_prefix + subscription.subscriber
    queue = settings.rabbitmq.queue_prefix + subscription.subscriber
    return BrokerNames(
        topic=settings.kafka.topic_prefix + subscription.event_type,
        group=group,
        dead_letter_topic=dead_letter_topic(group),
        exchange=settings.rabbitmq.exchange,
        queue=queue,
        dead_letter_exchange=dead_letter_exchange(queue),
        dead_letter_queue=dead_letter_queue(queue),
    )


def dead_letter_topic(group: str) -> str:
    """The Kafka dead-letter topic of the consumer group ``group`` (prefix included)."""
    return f"{group}.dlq"


def dead_letter_exchange(queue: str) -> str:
    return f"{queue}.dlx"


def dead_letter_queue(queue: str) -> str:
    """The RabbitMQ dead-letter queue of the queue ``queue`` (prefix included)."""
    return f"{queue}.dlq"
