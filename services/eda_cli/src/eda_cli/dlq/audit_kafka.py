"""The audit record on Kafka: the topic ``<prefix>eda.dlq.audit``, one partition.

Created on first use with ``cleanup.policy=delete`` and ``retention.ms=-1`` (kept
until an operator lowers it); a compacted topic under that name is refused, since
compaction drops entries. Each entry is written with ``acks=all`` and confirmed
before the action it records goes ahead. Reading appends its own entry first and
reads partition 0 up to it: its offset is the end, whatever ListOffsets says.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from eda_cli.dlq.audit import AUDIT_NAME, AuditUnavailableError, Entry, one_line
from shared.links import LinkMisconfigured, kafka_client_options, start_kafka_client
from shared.messaging.kafka import start_producer
from shared.settings import KafkaSettings

TOPIC_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1"}
_TOPIC_EXISTS = 36
_FETCH_MS = 50


class KafkaAuditLog:
    def __init__(self, settings: KafkaSettings) -> None:
        self._settings = settings
        self.topic = settings.topic_prefix + AUDIT_NAME
        self.location = f"Kafka topic {self.topic}"
        self._producer: AIOKafkaProducer | None = None
        self._checked = False

    async def append(self, entry: Mapping[str, Any]) -> None:
        await self._append(entry)

    async def read(self, reading: Mapping[str, Any]) -> list[Entry]:
        end = await self._append(reading) + 1
        consumer = AIOKafkaConsumer(
            **kafka_client_options(self._settings),
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=self._settings.fetch_max_wait_ms,
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        try:
            await start_kafka_client(consumer, self._settings)
            return await self._read_to(consumer, end)
        except (KafkaError, OSError, LinkMisconfigured) as exc:
            raise AuditUnavailableError(
                f"cannot read the audit record in {self.location}: {one_line(exc)}"
            ) from None
        finally:
            await consumer.stop()

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def _append(self, entry: Mapping[str, Any]) -> int:
        try:
            await self._ensure_topic()
            producer = await self._started_producer()
            metadata = await producer.send_and_wait(
                self.topic, value=json.dumps(entry).encode(), partition=0
            )
        except (KafkaError, OSError, LinkMisconfigured, ValueError) as exc:
            raise self._unwritable(one_line(exc)) from None
        offset: int = metadata.offset
        return offset

    async def _ensure_topic(self) -> None:
        if self._checked:
            return
        admin = AIOKafkaAdminClient(
            **kafka_client_options(self._settings),
            request_timeout_ms=self._settings.request_timeout_ms,
        )
        await start_kafka_client(admin, self._settings)
        try:
            if self.topic not in set(await admin.list_topics()):
                topic = NewTopic(
                    self.topic,
                    num_partitions=1,
                    replication_factor=self._settings.replication_factor,
                    topic_configs=TOPIC_CONFIG,
                )
                response = await admin.create_topics([topic])
                for _, code, message in response.topic_errors:
                    if code not in (0, _TOPIC_EXISTS):
                        raise self._unwritable(f"creating it failed: {message} (error {code})")
            resource = ConfigResource(ConfigResourceType.TOPIC, self.topic)
            described = await admin.describe_configs([resource])
        finally:
            await admin.close()
        for response in described:
            for resource_answer in response.resources:
                for name, value, *_ in resource_answer[4]:
                    if name == "cleanup.policy" and "compact" in (value or ""):
                        raise self._unwritable(
                            f"it is compacted (cleanup.policy={value}), which drops entries"
                        )
        self._checked = True

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await start_producer(self._settings)
        return self._producer

    async def _read_to(self, consumer: AIOKafkaConsumer, end: int) -> list[Entry]:
        tp = TopicPartition(self.topic, 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        entries: list[Entry] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._settings.request_timeout_ms / 1000
        while await consumer.position(tp) < end:
            if loop.time() > deadline:
                raise AuditUnavailableError(f"reading {self.location} did not reach its end")
            batch = await consumer.getmany(tp, timeout_ms=_FETCH_MS)
            for record in batch.get(tp, []):
                if record.offset < end:
                    entries.append(_parsed(record.value))
        return entries

    def _unwritable(self, why: str) -> AuditUnavailableError:
        return AuditUnavailableError(f"cannot write the audit record to {self.location}: {why}")


def _parsed(value: bytes | None) -> Entry:
    try:
        parsed = json.loads(value or b"")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return {"unreadable": (value or b"")[:200].decode(errors="replace")}
