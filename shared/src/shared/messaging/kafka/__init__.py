"""Kafka adapter (aiokafka): topic per event type, key = subject, group per subscriber."""

from shared.messaging.kafka.consumer import KafkaConsumer
from shared.messaging.kafka.publisher import KafkaPublisher

__all__ = ["KafkaConsumer", "KafkaPublisher"]
