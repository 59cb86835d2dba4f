"""Dead letters on Kafka: the topic ``<prefix><subscriber>.dlq``.

Reading starts at the tool's committed offset and skips the records marked removed
(``kafka_marks``). The end of a partition is the high watermark a fetch reports:
Tansu's ListOffsets answers short of it when the last records were batched. A
replay goes to the topic the record was consumed from (its origin header), with
its key, ``acks=all``; only once every publication of a chunk is confirmed are its
records marked removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from eda_cli.dlq.kafka_marks import (
    marker_key,
    marker_value,
    parse_marker_key,
    plan_removal,
    removed_topic_for,
    tool_group_for,
)
from eda_cli.dlq.records import DeadLetter, dead_letter
from eda_cli.dlq.store import (
    REPLAYED_FROM,
    BrokerUnreachableError,
    DeadLetterNotFoundError,
    Outcome,
    Progress,
)
from eda_cli.dlq.targets import Target
from shared.messaging.kafka.naming import (
    CONTENT_TYPE_HEADER,
    STRUCTURED_CONTENT_TYPE,
    dead_letter_topic_for,
    topic_for,
)
from shared.messaging.kafka.publisher import create_producer
from shared.messaging.kafka.topics import TopicProvisioner
from shared.settings import KafkaSettings
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

_FETCH_MS = 50
_CHUNK = 500
_ORIGIN = re.compile(r"^(?P<topic>.+)/\d+@\d+$")


@dataclass
class _Partition:
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
class _Snapshot:
    exists: bool
    topics: set[str] = field(default_factory=set)
    partitions: dict[int, _Partition] = field(default_factory=dict)

    def waiting(self) -> list[DeadLetter]:
        return [letter for _, part in sorted(self.partitions.items()) for letter in part.waiting()]


class KafkaDeadLetterStore:
    def __init__(self, settings: KafkaSettings, target: Target) -> None:
        self._settings = settings
        self._target = target
        self.topic = dead_letter_topic_for(settings, target.subscriber)
        self.removed_topic = removed_topic_for(self.topic)
        self.location = f"Kafka topic {self.topic}"
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.bootstrap_servers,
            group_id=tool_group_for(settings, target.subscriber),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=settings.fetch_max_wait_ms,
            request_timeout_ms=settings.request_timeout_ms,
        )
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.bootstrap_servers,
            request_timeout_ms=settings.request_timeout_ms,
        )
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        try:
            await self._admin.start()
            await self._consumer.start()
        except KafkaConnectionError:
            await self.close()
            raise self._unreachable() from None

    async def close(self) -> None:
        await self._consumer.stop()
        with contextlib.suppress(KafkaError):  # an admin client that never connected
            await self._admin.close()
        if self._producer is not None:
            await self._producer.stop()

    async def count(self) -> int | None:
        snapshot = await self._scan()
        return len(snapshot.waiting()) if snapshot.exists else None

    async def read(self, limit: int | None = None) -> list[DeadLetter]:
        return (await self._scan()).waiting()[:limit]

    async def find(self, letter_id: str) -> DeadLetter:
        return self._choose(await self._scan(), letter_id, None)[0]

    async def replay(self, letter_id: str | None, limit: int | None, progress: Progress) -> Outcome:
        snapshot = await self._scan()
        chosen = self._choose(snapshot, letter_id, limit)
        outcome = Outcome()
        for start in range(0, len(chosen), _CHUNK):
            confirmed = await self._publish(chosen[start : start + _CHUNK], snapshot, outcome)
            await self._remove(snapshot, confirmed, "replayed")
            for letter, destination in confirmed:
                outcome.done.append(letter)
                progress(letter, f"topic {destination}")
        return outcome

    async def purge(self, limit: int | None, progress: Progress) -> Outcome:
        snapshot = await self._scan()
        chosen = self._choose(snapshot, None, limit)
        await self._remove(snapshot, [(letter, None) for letter in chosen], "purged")
        for letter in chosen:
            progress(letter, "")
        return Outcome(done=chosen)

    async def _publish(
        self, letters: Sequence[DeadLetter], snapshot: _Snapshot, outcome: Outcome
    ) -> list[tuple[DeadLetter, str]]:
        """Send the chunk pipelined; return the confirmed ones with their topic."""
        producer = await self._started_producer()
        sent: list[tuple[DeadLetter, str, asyncio.Future[Any]]] = []
        for letter in letters:
            destination = self._destination(letter)
            if destination not in snapshot.topics:
                outcome.failed.append((letter, f"topic {destination} does not exist"))
                continue
            try:
                future = await producer.send(
                    destination,
                    value=letter.body,
                    key=letter.key,
                    headers=self._replay_headers(letter),
                )
            except KafkaError as exc:
                outcome.failed.append((letter, str(exc)))
                continue
            sent.append((letter, destination, future))
        confirmed: list[tuple[DeadLetter, str]] = []
        for letter, destination, future in sent:
            try:
                await future
            except KafkaError as exc:
                outcome.failed.append((letter, str(exc)))
                continue
            confirmed.append((letter, destination))
        return confirmed

    async def _remove(
        self, snapshot: _Snapshot, letters: Sequence[tuple[DeadLetter, str | None]], action: str
    ) -> None:
        """Commit past the removed records where they are the oldest; mark the others."""
        by_partition: dict[int, dict[int, str | None]] = {}
        for letter, destination in letters:
            partition, offset = _position(letter.id)
            by_partition.setdefault(partition, {})[offset] = destination
        markers: list[tuple[bytes, bytes]] = []
        commits: dict[TopicPartition, int] = {}
        for partition, removed_now in by_partition.items():
            part = snapshot.partitions[partition]
            plan = plan_removal(
                part.committed, part.end, part.records, part.removed, set(removed_now)
            )
            markers.extend(
                (marker_key(partition, offset), marker_value(action, removed_now[offset]))
                for offset in plan.markers
            )
            if plan.committed != part.committed:
                commits[part.tp] = plan.committed
        if markers:
            await TopicProvisioner(self._settings).ensure({self.removed_topic}, partitions=1)
            producer = await self._started_producer()
            futures = [
                await producer.send(self.removed_topic, key=key, value=value)
                for key, value in markers
            ]
            await asyncio.gather(*futures)
        if commits:
            await self._consumer.commit(commits)
        for partition, removed_now in by_partition.items():
            part = snapshot.partitions[partition]
            part.removed |= set(removed_now)
            part.committed = commits.get(part.tp, part.committed)

    async def _scan(self) -> _Snapshot:
        """Read every waiting record, to the end each partition has now."""
        topics = set(await self._admin.list_topics())
        if self.topic not in topics:
            return _Snapshot(exists=False, topics=topics)
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
        snapshot = _Snapshot(exists=True, topics=topics)
        for tp in tps:
            start, end = starts[tp], ends[tp]
            snapshot.partitions[tp.partition] = _Partition(
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

    def _choose(
        self, snapshot: _Snapshot, letter_id: str | None, limit: int | None
    ) -> list[DeadLetter]:
        waiting = snapshot.waiting()
        if letter_id is None:
            return waiting[:limit]
        chosen = [letter for letter in waiting if letter.id == letter_id]
        if not chosen:
            raise DeadLetterNotFoundError(
                f"no dead letter {letter_id} waiting in {self.location}"
                " (ids are partition:offset, as `eda dlq list` shows them)"
            )
        return chosen

    def _destination(self, letter: DeadLetter) -> str:
        """Where the subscriber consumed it: the origin's topic, else its event type's."""
        match = _ORIGIN.match(letter.origin or "")
        if match:
            return match["topic"]
        return topic_for(self._settings, letter.event_type or self._target.event_type)

    def _replay_headers(self, letter: DeadLetter) -> list[tuple[str, bytes]]:
        content_type = letter.headers.get(CONTENT_TYPE_HEADER)
        headers = [
            (
                CONTENT_TYPE_HEADER,
                content_type.encode() if content_type else STRUCTURED_CONTENT_TYPE,
            )
        ]
        headers.extend(
            (name, letter.headers[name].encode())
            for name in (TRACEPARENT, TRACESTATE)
            if name in letter.headers
        )
        partition, offset = _position(letter.id)
        headers.append((REPLAYED_FROM, f"{self.topic}/{partition}@{offset}".encode()))
        return headers

    async def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = create_producer(self._settings)
            try:
                await producer.start()
            except KafkaConnectionError:
                await producer.stop()
                raise self._unreachable() from None
            self._producer = producer
        return self._producer

    def _unreachable(self) -> BrokerUnreachableError:
        return BrokerUnreachableError(
            f"cannot reach Kafka at {self._settings.bootstrap_servers}"
            " (set by EDA_KAFKA__BOOTSTRAP_SERVERS)"
        )


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


def _position(letter_id: str) -> tuple[int, int]:
    partition, _, offset = letter_id.partition(":")
    return int(partition), int(offset)
