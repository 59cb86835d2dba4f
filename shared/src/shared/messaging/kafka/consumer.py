"""Consume one event type's topic in the subscriber's group.

Each partition's records of a fetched batch are handed to the processor as one run
(one batch handler call when there is a batch handler). Runs of one partition go in
order, one after the other; runs of different partitions, of this batch or of the
next ones, go concurrently, up to ``runs_in_flight``, so that the next run is parsed
while the database works on the previous one. A run's offset is committed after every
message of it was handled or dead-lettered, never before, together with the other
runs' handled within ``commit_interval_ms``; partitions being revoked wait for their
runs and those commits first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.messaging.kafka._consumer.fetch_wait import FetchWait, set_fetch_max_wait
from shared.messaging.kafka._consumer.offset_commits import OffsetCommits
from shared.messaging.kafka._consumer.stopping import LibraryProblems, stop_quietly
from shared.messaging.kafka.dead_letters import KafkaDeadLetters
from shared.messaging.kafka.publisher import create_producer
from shared.messaging.kafka.topology import TopicProvisioner
from shared.messaging.names import group_for, topic_for
from shared.messaging.processor import MessageProcessor
from shared.messaging.protocols import BatchHandler, Handler, IncomingMessage, Subscription
from shared.settings import DEFAULT_MAX_MESSAGE_BYTES, KafkaSettings, RetrySettings
from shared.telemetry.metrics import KAFKA_CONSUMER_LAG, SUBSCRIBER_BACKLOG, SUBSCRIBER_IDLE
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
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
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
            max_message_bytes=max_message_bytes,
            system="kafka",
            destination=self._topic,
        )
        self._consumer = AIOKafkaConsumer(
            **kafka_client_options(settings),
            group_id=group_for(settings, subscription.subscriber),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=max(100, settings.session_timeout_ms // 3),
            max_poll_records=settings.max_poll_records,
            request_timeout_ms=settings.request_timeout_ms,
        )
        self._consumer.subscribe([self._topic], listener=_FinishRunsOnRevoke(self))
        self._stopping = asyncio.Event()
        self._ready = False
        self._in_flight: set[asyncio.Task[bool]] = set()
        self._last_run: dict[TopicPartition, asyncio.Task[bool]] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._lag = KAFKA_CONSUMER_LAG.labels(subscription.subscriber, self._topic)
        self._idle = SUBSCRIBER_IDLE.labels(subscription.subscriber)
        self._backlog = SUBSCRIBER_BACKLOG.labels(subscription.subscriber)
        self._lag_measured_at = 0.0
        self._announced = False
        self._library_problems = LibraryProblems()
        self._commits = OffsetCommits(self._commit, settings.commit_interval_ms / 1000)
        self._fetch_wait = FetchWait(
            settings.fetch_max_wait_ms, settings.idle_fetch_max_wait_ms, time.monotonic()
        )

    @property
    def ready(self) -> bool:
        return self._ready

    def stop(self) -> None:
        self._library_problems.start()
        self._stopping.set()
        self._processor.stop()

    async def run(self) -> None:
        await self._topics.ensure({self._topic})
        await self._dead_letters.ensure_topic()
        await start_kafka_client(self._producer, self._settings)
        try:
            await start_kafka_client(self._consumer, self._settings)
            self._ready = True
            await self._consume()
        finally:
            self._ready = False
            await stop_quietly(
                self._subscription.subscriber,
                self._settings.bootstrap_servers,
                (self._consumer.stop, self._producer.stop),
                self._library_problems,
            )

    async def _consume(self) -> None:
        try:
            while not self._stopping.is_set():
                batch = await self._consumer.getmany(
                    timeout_ms=_FETCH_TIMEOUT_MS, max_records=self._settings.max_poll_records
                )
                for tp, records in batch.items():
                    self._start_run(tp, records)
                self._adapt_fetch_wait(got_records=bool(batch))
                await self._wait_for_room()
                await self._measure_lag()
            await self.finish_runs()
            self._forget_finished_runs()
        except BaseException:
            await self._cancel_runs()  # uncommitted: they come again
            raise

    def _adapt_fetch_wait(self, *, got_records: bool) -> None:
        before = self._fetch_wait.current_ms
        wait_ms = self._fetch_wait.after_poll(got_records=got_records, now=time.monotonic())
        if wait_ms != before and not set_fetch_max_wait(self._consumer, wait_ms):
            log.warning("this aiokafka cannot change its fetch wait; it stays at %d ms", before)
            self._fetch_wait = FetchWait(before, None, time.monotonic())

    def _start_run(self, tp: TopicPartition, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        # Until this process commits on the partition, its lag counts from where the group
        # resumed it (the first record fetched), not from the position past every record
        # fetched: records a stuck handler holds are still waiting.
        self._committed.setdefault(tp, records[0].offset)
        run = asyncio.create_task(self._run(tp, records, self._last_run.get(tp)))
        self._last_run[tp] = run
        self._in_flight.add(run)

    async def _run(
        self,
        tp: TopicPartition,
        records: list[ConsumerRecord[bytes, bytes]],
        previous: asyncio.Task[bool] | None,
    ) -> bool:
        """Process the records once the partition's previous run is done, then commit;
        True when every record reached its outcome."""
        if previous is not None and not await previous:
            return False  # an earlier run stopped short: these come again, in order
        if self._stopping.is_set():
            return False
        done = await self._process_partition(records)
        if done:
            self._commits.handled(tp, records[done - 1].offset + 1)
        return done == len(records)

    async def _wait_for_room(self) -> None:
        """Return once fewer than ``runs_in_flight`` runs are left; the lag and idle
        gauges are kept current meanwhile (stuck runs would otherwise freeze them)."""
        while True:
            self._forget_finished_runs()
            if len(self._in_flight) < self._settings.runs_in_flight:
                return
            await asyncio.wait(
                self._in_flight, timeout=_LAG_INTERVAL_S, return_when=asyncio.FIRST_COMPLETED
            )
            await self._measure_lag()

    def _forget_finished_runs(self) -> None:
        """Drop the finished runs; one that raised stops the consumer with its error."""
        for run in [run for run in self._in_flight if run.done()]:
            self._in_flight.discard(run)
            run.result()

    async def _cancel_runs(self) -> None:
        for run in self._in_flight:
            run.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        self._commits.cancel()

    async def finish_runs(self) -> None:
        """Wait for every run started so far, then commit their offsets."""
        if self._in_flight:
            await asyncio.wait(self._in_flight)
        await self._commits.flush()

    async def _process_partition(self, records: list[ConsumerRecord[bytes, bytes]]) -> int:
        """Process in order; return how many leading records reached their outcome."""
        traced = tracer() is not None
        messages = [
            IncomingMessage(
                body=record.value or b"",
                key=record.key,
                origin=f"{record.topic}/{record.partition}@{record.offset}",
                trace_headers=_trace_headers(record.headers) if traced else None,
                raw=record,
            )
            for record in records
        ]
        return await self._processor.process_many(messages)

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

    def announce(self, assigned: set[TopicPartition]) -> None:
        """One line when the first partitions arrive, one on each later rebalance."""
        for tp in assigned:  # another member may have committed on it meanwhile
            self._committed.pop(tp, None)
        partitions = ", ".join(str(tp.partition) for tp in sorted(assigned)) or "none"
        log.info(
            "%s %s: %s from Kafka at %s (topic %s, partitions %s)",
            self._subscription.subscriber,
            "reassigned" if self._announced else "ready",
            self._subscription.event_type,
            self._settings.bootstrap_servers,
            self._topic,
            partitions,
        )
        self._announced = True

    async def _measure_lag(self) -> None:
        """Lag of the assigned partitions: the last high watermark the fetches saw minus
        the committed offset; and the subscriber's idle seconds while the lag is above
        zero."""
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
            if committed is None:  # nothing fetched since the assignment: where it resumes
                committed = await self._consumer.position(tp)
            lag += max(0, highwater - committed)
        self._lag.set(lag)
        self._backlog.set(lag)
        self._idle.set(self._processor.progress.idle_seconds(lag))


class _FinishRunsOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    """Partitions leave this consumer only after their runs committed: the next owner
    starts after them, in order."""

    def __init__(self, consumer: KafkaConsumer) -> None:
        self._consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._consumer.finish_runs()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Nothing to prepare (runs start as records arrive): only say so."""
        self._consumer.announce(assigned)


def _trace_headers(headers: Sequence[tuple[str, bytes]]) -> tuple[str, str | None] | None:
    traceparent: str | None = None
    tracestate: str | None = None
    for name, value in headers:
        if name == TRACEPARENT:
            traceparent = value.decode(errors="replace")
        elif name == TRACESTATE:
            tracestate = value.decode(errors="replace")
    return (traceparent, tracestate) if traceparent else None
