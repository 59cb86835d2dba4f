"""Dead letters on Kafka: the topic ``<prefix><subscriber>.dlq``.

What is waiting comes from ``kafka_reader``. A replay goes to the subscriber's own
topic, ``<prefix><event type>`` (never one a record's headers name: see ``origins``),
with its key, ``acks=all``; only once the publications of a chunk are confirmed are
those records removed (``kafka_marks``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaError

from eda_cli.dlq.kafka_marks import (
    marker_key,
    marker_value,
    plan_removal,
    removed_topic_for,
    tool_group_for,
)
from eda_cli.dlq.kafka_reader import DeadLetterTopicReader, Snapshot
from eda_cli.dlq.records import DeadLetter
from eda_cli.dlq.store import (
    REPLAYED_FROM,
    Approve,
    BrokerUnreachableError,
    DeadLetterNotFoundError,
    Outcome,
    Progress,
)
from eda_cli.dlq.targets import Target
from shared.messaging import dead_letter_topic_for, topic_for
from shared.messaging.kafka import (
    CONTENT_TYPE_HEADER,
    STRUCTURED_CONTENT_TYPE,
    TopicProvisioner,
    start_producer,
)
from shared.settings import KafkaSettings
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

_CHUNK = 500


class KafkaDeadLetterStore:
    def __init__(self, settings: KafkaSettings, target: Target) -> None:
        self._settings = settings
        self.topic = dead_letter_topic_for(settings, target.subscriber)
        self.removed_topic = removed_topic_for(self.topic)
        self.location = f"Kafka topic {self.topic}"
        self.destination = topic_for(settings, target.event_type)
        self._reader = DeadLetterTopicReader(
            settings,
            self.topic,
            self.removed_topic,
            tool_group_for(settings, target.subscriber),
        )
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        try:
            await self._reader.start()
        except KafkaConnectionError:
            await self.close()
            raise self._unreachable() from None

    async def close(self) -> None:
        await self._reader.close()
        if self._producer is not None:
            await self._producer.stop()

    async def count(self) -> int | None:
        snapshot = await self._reader.scan()
        return len(snapshot.waiting()) if snapshot.exists else None

    async def read(self, limit: int | None = None) -> list[DeadLetter]:
        return (await self._reader.scan()).waiting()[:limit]

    async def find(self, letter_id: str) -> DeadLetter:
        return self._choose(await self._reader.scan(), letter_id, None)[0]

    async def replay(
        self, letter_id: str | None, limit: int | None, approve: Approve, progress: Progress
    ) -> Outcome:
        snapshot = await self._reader.scan()
        chosen = list(await approve(self._choose(snapshot, letter_id, limit)))
        outcome = Outcome()
        for start in range(0, len(chosen), _CHUNK):
            confirmed = await self._publish(chosen[start : start + _CHUNK], snapshot, outcome)
            await self._remove(snapshot, confirmed, "replayed")
            for letter, destination in confirmed:
                outcome.done.append(letter)
                progress(letter, f"topic {destination}")
        return outcome

    async def purge(self, limit: int | None, approve: Approve, progress: Progress) -> Outcome:
        snapshot = await self._reader.scan()
        chosen = list(await approve(self._choose(snapshot, None, limit)))
        await self._remove(snapshot, [(letter, None) for letter in chosen], "purged")
        for letter in chosen:
            progress(letter, "")
        return Outcome(done=chosen)

    async def _publish(
        self, letters: Sequence[DeadLetter], snapshot: Snapshot, outcome: Outcome
    ) -> list[tuple[DeadLetter, str]]:
        """Send the chunk pipelined; return the confirmed ones with their topic."""
        producer = await self._started_producer()
        sent: list[tuple[DeadLetter, str, asyncio.Future[Any]]] = []
        destination = self.destination
        for letter in letters:
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
        self, snapshot: Snapshot, letters: Sequence[tuple[DeadLetter, str | None]], action: str
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
            await self._reader.commit(commits)
        for partition, removed_now in by_partition.items():
            part = snapshot.partitions[partition]
            part.removed |= set(removed_now)
            part.committed = commits.get(part.tp, part.committed)

    def _choose(
        self, snapshot: Snapshot, letter_id: str | None, limit: int | None
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
            try:
                self._producer = await start_producer(self._settings)
            except KafkaConnectionError:
                raise self._unreachable() from None
        return self._producer

    def _unreachable(self) -> BrokerUnreachableError:
        return BrokerUnreachableError(
            f"cannot reach Kafka at {self._settings.bootstrap_servers}"
            " (set by EDA_KAFKA__BOOTSTRAP_SERVERS)"
        )


def _position(letter_id: str) -> tuple[int, int]:
    partition, _, offset = letter_id.partition(":")
    return int(partition), int(offset)
