"""Kafka adapter (aiokafka): topic per event type, key = subject, group per subscriber.

The same modules as ``rabbitmq/`` for the same jobs: ``publisher``, ``consumer``,
``dead_letters``, ``topology``; names come from ``shared.messaging.names``. The
consumer's internals live in ``_consumer/``. Outside ``shared``, only what is listed
here is used (import-linter contracts keep the modules below private)."""

from shared.messaging.kafka.consumer import KafkaConsumer
from shared.messaging.kafka.publisher import (
    CONTENT_TYPE_HEADER,
    STRUCTURED_CONTENT_TYPE,
    KafkaPublisher,
    create_producer,
    start_producer,
)
from shared.messaging.kafka.topology import TopicProvisioner

__all__ = [
    "CONTENT_TYPE_HEADER",
    "STRUCTURED_CONTENT_TYPE",
    "KafkaConsumer",
    "KafkaPublisher",
    "TopicProvisioner",
    "create_producer",
    "start_producer",
]
