"""The messaging figures: ``shared`` against raw clients and FastStream, Kafka then
RabbitMQ; then what TLS costs ``shared``, plaintext against TLS, Kafka then RabbitMQ."""

from __future__ import annotations

import functools

from tests.bench.groups import Brokers, Step, messaging_kafka, messaging_rabbitmq, messaging_tls


def steps(brokers: Brokers, run_id: str) -> list[Step]:
    return [
        functools.partial(messaging_kafka.run, brokers.kafka_bootstrap, run_id),
        functools.partial(messaging_rabbitmq.run, brokers.rabbitmq_url, run_id),
        functools.partial(messaging_tls.run_kafka, run_id),
        functools.partial(messaging_tls.run_rabbitmq, brokers.rabbitmq_url, run_id),
    ]
