"""Kafka consumer-group lag, read the way the group's consumers would start reading."""

from __future__ import annotations

import asyncio
import contextlib

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from scaling_operator.backlog.failures import describe, misconfigured
from scaling_operator.decisions import (
    BacklogReading,
    BacklogUnavailable,
    PartitionOffsets,
    kafka_lag,
)
from scaling_operator.spec import KafkaSource
from shared.links import LinkMisconfigured, kafka_client_options, start_kafka_client
from shared.settings import KafkaSettings

CLIENT_ID = "eda-operator"
_FETCH_MAX_WAIT_MS = 100


class TopicNotFoundError(LookupError):
    pass


async def read_kafka_backlog(
    settings: KafkaSettings, source: KafkaSource, timeout_s: float
) -> BacklogReading | BacklogUnavailable:
    topic, group = source.topic, source.consumer_group
    try:
        async with asyncio.timeout(timeout_s):
            partitions = await read_partition_offsets(settings, topic, group)
    except TopicNotFoundError:
        return BacklogUnavailable(
            "TopicNotFound", f"Kafka topic {topic!r} does not exist", broker_reachable=True
        )
    except LinkMisconfigured as exc:
        return misconfigured(exc)
    except (KafkaError, OSError, TimeoutError) as exc:
        return BacklogUnavailable(
            "BrokerUnreachable",
            f"Kafka at {settings.bootstrap_servers} could not be read: {describe(exc)}",
            broker_reachable=False,
        )
    return BacklogReading(kafka_lag(partitions), partitions=len(partitions))


async def read_partition_offsets(
    settings: KafkaSettings, topic: str, group: str
) -> list[PartitionOffsets]:
    """Earliest retained, end and committed offset of every partition of ``topic``."""
    options = kafka_client_options(settings)  # TLS and SASL as EDA_KAFKA__* say
    consumer = AIOKafkaConsumer(
        **options,
        client_id=CLIENT_ID,
        enable_auto_commit=False,
        fetch_max_wait_ms=_FETCH_MAX_WAIT_MS,
        request_timeout_ms=settings.request_timeout_ms,
    )
    admin = AIOKafkaAdminClient(
        **options,
        client_id=CLIENT_ID,
        request_timeout_ms=settings.request_timeout_ms,
    )
    try:
        await start_kafka_client(consumer, settings)
        await start_kafka_client(admin, settings)
        await consumer.topics()  # fresh metadata: the partition count caps the replicas
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise TopicNotFoundError(topic)
        partitions = [TopicPartition(topic, number) for number in sorted(numbers)]
        earliest = await consumer.beginning_offsets(partitions)
        end = await _high_watermarks(consumer, earliest, await consumer.end_offsets(partitions))
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
    finally:
        with contextlib.suppress(KafkaError, OSError):
            await admin.close()
        with contextlib.suppress(KafkaError, OSError):
            await consumer.stop()
    return [
        PartitionOffsets(
            earliest=earliest[partition],
            end=end[partition],
            committed=_committed(committed.get(partition)),
        )
        for partition in partitions
    ]


async def _high_watermarks(
    consumer: AIOKafkaConsumer,
    earliest: dict[TopicPartition, int],
    listed: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """The end of each partition as a fetch reports it (its high watermark).

    Tansu answers a ListOffsets for the latest offset with the first offset of the
    last record batch plus one, short by the rest of that batch; a fetch from there
    reports the true high watermark. On Kafka both agree and the fetch costs one
    batch per partition.
    """
    holding = [partition for partition, end in listed.items() if end > earliest[partition]]
    if not holding:
        return listed
    consumer.assign(holding)
    for partition in holding:
        consumer.seek(partition, listed[partition] - 1)
    while any(consumer.highwater(partition) is None for partition in holding):
        await consumer.getmany(*holding, timeout_ms=_FETCH_MAX_WAIT_MS)
    return {
        partition: max(end, consumer.highwater(partition) or 0) for partition, end in listed.items()
    }


def _committed(entry: object) -> int | None:
    offset = getattr(entry, "offset", -1)
    return offset if isinstance(offset, int) and offset >= 0 else None
