"""Kafka adapter (aiokafka): topic per event type, key = subject, group per subscriber.

Outside ``shared``, only what is listed here is used (an import-linter contract keeps
the modules below private)."""

from shared.messaging.kafka.consumer import KafkaConsumer
from shared.messaging.kafka.naming import (
    CONTENT_TYPE_HEADER,
    STRUCTURED_CONTENT_TYPE,
    dead_letter_topic_for,
    group_for,
    topic_for,
)
from shared.messaging.kafka.publisher import KafkaPublisher, create_producer
from shared.messaging.kafka.topics import TopicProvisioner

__all__ = [
    "CONTENT_TYPE_HEADER",
    "STRUCTURED_CONTENT_TYPE",
    "KafkaConsumer",
    "KafkaPublisher",
    "TopicProvisioner",
    "create_producer",
    "dead_letter_topic_for",
    "group_for",
    "topic_for",
]
