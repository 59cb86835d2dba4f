"""Read a Kafka dead-letter topic as it stands now, from the tool's committed offset.

Records marked removed (``kafka_marks``) are read too and set apart. The end of a
partition is the high watermark a fetch reports, not ListOffsets: Tansu answers that
short of the end when the last records were written in one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError, KafkaTimeoutError

from eda_cli.dlq.kafka_marks import parse_marker_key
from eda_cli.dlq.records import DeadLetter, dead_letter
from shared.links import kafka_client_options, start_kafka_client
from shared.messaging.kafka import CONTENT_TYPE_HEADER
from shared.settings import KafkaSettings

_FETCH_MS = 50


@dataclass
class Partition:
    tp: TopicPartition
    committed: int
    end: int
    records: dict[int, DeadLetter]
    """Every record from ``committed`` to ``end``, marked or not."""
    removed: set[int]

    def waiting(self) -> list[DeadLetter]:
        return [
            letter
            for offset, letter in sorted(self.records.items())
            if offset >= self.committed and offset not in self.removed
        ]


@dataclass
class Snapshot:
    exists: bool
    topics: set[str] = field(default_factory=set)
    partitions: dict[int, Partition] = field(default_factory=dict)

    def waiting(self) -> list[DeadLetter]:
        return [letter for _, part in sorted(self.partitions.items()) for letter in part.waiting()]


class DeadLetterTopicReader:
    """Owns the tool's consumer (in its group, partitions assigned by hand, never
    joining) and an admin client for the metadata."""

    def __init__(self, settings: KafkaSettings, topic: str, removed_topic: str, group: str) -> None:
        self._settings = settings
        self.topic = topic
        self.removed_topic = removed_topic
        self._consumer = AIOKafkaConsumer(
            **kafka_client_options(settings),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            request_timeout_ms=settings.request_timeout_ms,
        )
        self._admin = AIOKafkaAdminClient(
            **kafka_client_options(settings),
            request_timeout_ms=settings.request_timeout_ms,
        )

    async def start(self) -> None:
        await start_kafka_client(self._admin, self._settings)
        await start_kafka_client(self._consumer, self._settings)

    async def close(self) -> None:
        await self._consumer.stop()
        with contextlib.suppress(KafkaError):  # an admin client that never connected
            await self._admin.close()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        await self._consumer.commit(offsets)

    async def scan(self) -> Snapshot:
        """Read every waiting record, to the end each partition has now."""
        topics = set(await self._admin.list_topics())
        if self.topic not in topics:
            return Snapshot(exists=False, topics=topics)
        tps = await self._partitions(self.topic)
        marker_tps = (
            await self._partitions(self.removed_topic) if self.removed_topic in topics else []
        )
        self._consumer.assign(tps + marker_tps)
        beginning = await self._consumer.beginning_offsets(tps)
        starts: dict[TopicPartition, int] = {}
        for tp in tps:
            committed = await self._consumer.committed(tp)
            starts[tp] = max(committed or 0, beginning[tp])
            self._consumer.seek(tp, starts[tp])
        if marker_tps:
            await self._consumer.seek_to_beginning(*marker_tps)
        records, ends = await self._fetch_to_end(tps + marker_tps)
        removed = {
            position
            for tp in marker_tps
            for record in records[tp]
            if (position := parse_marker_key(record.key)) is not None
        }
        snapshot = Snapshot(exists=True, topics=topics)
        for tp in tps:
            start, end = starts[tp], ends[tp]
            snapshot.partitions[tp.partition] = Partition(
                tp,
                start,
                end,
                {
                    record.offset: _letter(record)
                    for record in records[tp]
                    if start <= record.offset < end
                },
                {offset for partition, offset in removed if partition == tp.partition},
            )
        return snapshot

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        described = await self._admin.describe_topics([topic])
        numbers = sorted(part["partition"] for part in described[0]["partitions"])
        return [TopicPartition(topic, number) for number in numbers]

    async def _fetch_to_end(
        self, tps: list[TopicPartition]
    ) -> tuple[dict[TopicPartition, list[Any]], dict[TopicPartition, int]]:
        records: dict[TopicPartition, list[Any]] = {tp: [] for tp in tps}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.request_timeout_ms / 1000
        while True:
            ends = await self._caught_up(tps)
            if ends is not None:
                return records, ends
            if loop.time() > deadline:
                raise KafkaTimeoutError(f"reading {self.topic} did not reach its end")
            batch = await self._consumer.getmany(*tps, timeout_ms=_FETCH_MS)
            for tp, fetched in batch.items():
                records[tp].extend(fetched)

    async def _caught_up(self, tps: list[TopicPartition]) -> dict[TopicPartition, int] | None:
        """Each partition's position, once every one has reached the high watermark."""
        ends: dict[TopicPartition, int] = {}
        for tp in tps:
            highwater = self._consumer.highwater(tp)
            position: int = await self._consumer.position(tp)
            if highwater is None or position < highwater:
                return None
            ends[tp] = position
        return ends


def _letter(record: Any) -> DeadLetter:
    headers = dict(record.headers)
    content_type = headers.get(CONTENT_TYPE_HEADER)
    return dead_letter(
        f"{record.partition}:{record.offset}",
        record.value or b"",
        record.key,
        headers,
        content_type.decode(errors="replace") if content_type else None,
    )
