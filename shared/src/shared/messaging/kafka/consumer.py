"""Consume one event type's topic in the subscriber's group.

Each fetched batch is processed in order within a partition and concurrently
across partitions, a partition's records handed to the processor as one run (one
batch handler call when there is a batch handler); offsets are committed after
every message of the batch was handled or dead-lettered, never before.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.messaging.kafka.dead_letters import KafkaDeadLetters
from shared.messaging.kafka.naming import group_for, topic_for
from shared.messaging.kafka.publisher import create_producer
from shared.messaging.kafka.topics import TopicProvisioner
from shared.messaging.processor import MessageProcessor
from shared.messaging.types import BatchHandler, Handler, IncomingMessage, Subscription
from shared.settings import KafkaSettings, RetrySettings
from shared.telemetry.metrics import KAFKA_CONSUMER_LAG
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE
from shared.telemetry.tracing import tracer

log = logging.getLogger(__name__)

_FETCH_TIMEOUT_MS = 200
_COMMIT_RETRY_S = 0.5
_LAG_INTERVAL_S = 1.0


class KafkaConsumer:
    def __init__(
        self,
        settings: KafkaSettings,
        retry: RetrySettings,
        subscription: Subscription,
        handler: Handler,
        *,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self._settings = settings
        self._subscription = subscription
        self._topic = topic_for(settings, subscription.event_type)
        self._topics = TopicProvisioner(settings)
        self._producer = create_producer(settings)
        self._dead_letters = KafkaDeadLetters(settings, subscription, self._producer, self._topics)
        self._processor = MessageProcessor(
            subscription,
            handler,
            self._dead_letters,
            retry,
            batch_handler=batch_handler,
            system="kafka",
            destination=self._topic,
        )
        self._consumer = AIOKafkaConsumer(
            self._topic,
            bootstrap_servers=settings.bootstrap_servers,
            group_id=group_for(settings, subscription.subscriber),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(100, settings.session_timeout_ms // 3),
            max_poll_records=settings.max_poll_records,
            request_timeout_ms=settings.request_timeout_ms,
        )
        self._stopping = asyncio.Event()
        self._ready = False
        self._committed: dict[TopicPartition, int] = {}
        self._lag = KAFKA_CONSUMER_LAG.labels(subscription.subscriber, self._topic)
        self._lag_measured_at = 0.0

    @property
    def ready(self) -> bool:
        return self._ready

    def stop(self) -> None:
        self._stopping.set()
        self._processor.stop()

    async def run(self) -> None:
        await self._topics.ensure({self._topic})
        await self._dead_letters.ensure_topic()
        await self._producer.start()
        try:
            await self._consumer.start()
            try:
                self._ready = True
                await self._consume()
            finally:
                self._ready = False
                await self._consumer.stop()
        finally:
            await self._producer.stop()

    async def _consume(self) -> None:
        while not self._stopping.is_set():
            batch = await self._consumer.getmany(
                timeout_ms=_FETCH_TIMEOUT_MS, max_records=self._settings.max_poll_records
            )
            if not batch:
                await self._measure_lag()
                continue
            done = await asyncio.gather(
                *(self._process_partition(records) for records in batch.values())
            )
            offsets = {
                tp: offset for tp, offset in zip(batch, done, strict=True) if offset is not None
            }
            if offsets:
                await self._commit(offsets)
            await self._measure_lag()

    async def _process_partition(self, records: list[ConsumerRecord[bytes, bytes]]) -> int | None:
        """Process in order; return the offset to commit (next to read), or None if none done."""
        traced = tracer() is not None
        messages = [
            IncomingMessage(
                body=record.value or b"",
                key=record.key,
                origin=f"{record.topic}/{record.partition}@{record.offset}",
                trace_headers=_trace_headers(record.headers) if traced else None,
            )
            for record in records
        ]
        done = await self._processor.process_many(messages)
        return records[done - 1].offset + 1 if done else None

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        while True:
            try:
                await self._consumer.commit(offsets)
                self._committed.update(offsets)
                return
            except CommitFailedError as exc:
                # The group rebalanced: the new owner gets these again; idempotency absorbs it.
                log.warning("commit lost to a rebalance, messages will be redelivered: %s", exc)
                return
            except KafkaError as exc:
                if self._stopping.is_set():
                    log.warning(
                        "commit failed during shutdown, messages will be redelivered: %s", exc
                    )
                    return
                log.warning("commit failed (%s); retrying", exc)
                await asyncio.sleep(_COMMIT_RETRY_S)

    async def _measure_lag(self) -> None:
        """Lag of the assigned partitions: the last high watermark the fetches saw minus
        the committed offset (or the position, before the first commit)."""
        now = time.monotonic()
        if now - self._lag_measured_at < _LAG_INTERVAL_S:
            return
        self._lag_measured_at = now
        lag = 0
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            committed = self._committed.get(tp)
            if committed is None:
                committed = await self._consumer.position(tp)
            lag += max(0, highwater - committed)
        self._lag.set(lag)


def _trace_headers(headers: Sequence[tuple[str, bytes]]) -> tuple[str, str | None] | None:
    traceparent: str | None = None
    tracestate: str | None = None
    for name, value in headers:
        if name == TRACEPARENT:
            traceparent = value.decode(errors="replace")
        elif name == TRACESTATE:
            tracestate = value.decode(errors="replace")
    return (traceparent, tracestate) if traceparent else None
