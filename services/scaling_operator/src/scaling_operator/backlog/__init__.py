"""Read a subscriber's backlog from the broker its resource names."""

from __future__ import annotations

from scaling_operator.backlog.kafka import read_kafka_backlog
from scaling_operator.backlog.rabbitmq import read_queue_depth
from scaling_operator.decisions import BacklogReading, BacklogUnavailable, QueueCounts
from scaling_operator.settings import OperatorConfig
from scaling_operator.spec import KafkaSource, Source


async def read_backlog(
    config: OperatorConfig, source: Source
) -> BacklogReading | QueueCounts | BacklogUnavailable:
    timeout_s = config.operator.broker_timeout_s
    if isinstance(source, KafkaSource):
        return await read_kafka_backlog(config.eda.kafka, source, timeout_s)
    return await read_queue_depth(config.eda.rabbitmq, config.management, source, timeout_s)


__all__ = ["read_backlog"]
