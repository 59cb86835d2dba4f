"""Kafka runs in flight: runs of different partitions are handled at the same time, a
partition's runs one after the other and in order, and every run's offset is committed
once it was handled."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Sequence

from shared.envelope import Envelope
from shared.events import Event
from shared.messaging import RoutingPublisher, create_consumer
from shared.settings import BrokerKind
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.contract.kafka_requests import committed
from tests.contract.settings import contract_settings
from tests.support.brokers.kafka import KafkaHarness
from tests.support.consumers import running
from tests.support.polling import eventually

SUBJECTS = 8
PER_SUBJECT = 6


OVERLAP_WAIT_S = 0.5


class SlowRuns:
    """A batch handler whose runs stay open until a second run is open beside them (or
    ``OVERLAP_WAIT_S`` passed: a consumer that never overlaps runs still finishes, and
    fails the test), noting what ran alongside what."""

    def __init__(self, subject_of: dict[str, uuid.UUID]) -> None:
        self._subject_of = subject_of
        self._active: list[set[uuid.UUID]] = []
        self._overlapped = asyncio.Event()
        self.most_at_once = 0
        self.shared_a_subject = False
        self.handled: dict[uuid.UUID, list[str]] = defaultdict(list)

    async def handle(self, event: Event, envelope: Envelope) -> None:
        await self.handle_many([(event, envelope)])

    async def handle_many(self, events: Sequence[tuple[Event, Envelope]]) -> None:
        subjects = {self._subject_of[envelope.id] for _, envelope in events}
        self.shared_a_subject |= any(subjects & other for other in self._active)
        self._active.append(subjects)
        self.most_at_once = max(self.most_at_once, len(self._active))
        if len(self._active) > 1:
            self._overlapped.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._overlapped.wait(), OVERLAP_WAIT_S)
        self._active.remove(subjects)
        for _, envelope in events:
            self.handled[self._subject_of[envelope.id]].append(envelope.id)


async def test_partitions_overlap_a_partitions_runs_keep_their_order_and_offsets_follow(
    kafka_bootstrap: str,
) -> None:
    settings = contract_settings(BrokerKind.KAFKA, kafka_bootstrap)
    kafka = settings.kafka.model_copy(update={"max_poll_records": 3, "runs_in_flight": 3})
    broker = KafkaHarness(settings.model_copy(update={"kafka": kafka}))
    subscription = broker.subscription(EVENT_TYPE)
    subjects = [uuid.uuid4() for _ in range(SUBJECTS)]
    sent = {
        subject: [order_confirmed(order_id=subject) for _ in range(PER_SUBJECT)]
        for subject in subjects
    }
    runs = SlowRuns(
        {envelope.id: subject for subject, envelopes in sent.items() for envelope in envelopes}
    )

    await broker.provision(subscription)
    publisher = RoutingPublisher(broker.settings)
    await publisher.publish_many(
        [envelope for envelopes in sent.values() for envelope in envelopes]
    )
    await publisher.close()
    consumer = create_consumer(
        broker.settings, subscription, runs.handle, batch_handler=runs.handle_many
    )
    async with running(consumer):
        await eventually(
            lambda: sum(map(len, runs.handled.values())) >= SUBJECTS * PER_SUBJECT,
            what="every event",
        )

    assert runs.most_at_once > 1
    assert not runs.shared_a_subject
    assert runs.handled == {
        subject: [e.id for e in envelopes] for subject, envelopes in sent.items()
    }
    assert await committed(broker, subscription) == SUBJECTS * PER_SUBJECT
