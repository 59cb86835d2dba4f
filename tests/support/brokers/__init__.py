"""One harness per broker behind one protocol (``protocol.BrokerHarness``): what tests
need of a broker beyond the shared clients, written once per broker."""

from __future__ import annotations

from shared.settings import BrokerKind
from tests.support.brokers.kafka import KafkaHarness
from tests.support.brokers.rabbitmq import RabbitMQHarness

HARNESSES: dict[BrokerKind, type[KafkaHarness | RabbitMQHarness]] = {
    BrokerKind.KAFKA: KafkaHarness,
    BrokerKind.RABBITMQ: RabbitMQHarness,
}
