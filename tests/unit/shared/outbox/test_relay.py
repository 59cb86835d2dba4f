"""What one relay pass asks of its store, in which order, and what it tells its lanes:
the statements of a pass are the store's, so counting the calls counts them. No
database: the store and the publisher are stand-ins that record."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Any, cast

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.messaging import OutgoingMessage, Publisher
from shared.outbox import OutboxRelay
from shared.outbox.lanes import HELD_ELSEWHERE, PassOutcome
from shared.outbox.store import OutboxStore
from shared.settings import OutboxSettings

BATCH_SIZE = 10


def row(row_id: int, bucket: int) -> tuple[Any, ...]:
    return (row_id, bucket, f"event-{row_id}", "order.placed", f"order-{bucket}", "{}", None, None)


class RecordingTransaction:
    def __init__(self, calls: list[str]) -> None:
        self._calls = calls

    async def __aenter__(self) -> RecordingTransaction:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._calls.append("end")

    async def commit(self) -> None:
        self._calls.append("commit")


class RecordingStore(OutboxStore):
    def __init__(
        self,
        buckets: list[int],
        rows: list[tuple[Any, ...]],
        *,
        pending: bool = False,
        saturated: bool = False,
    ) -> None:
        super().__init__(cast(aiomysql.Pool, None), buckets_per_pass=4)
        self.calls: list[str] = []
        self._buckets = buckets
        self._rows = rows
        self._pending = pending
        self._saturated_after_claim = saturated
        self.marked: list[Any] = []

    def transaction(self) -> UnitOfWork:
        return cast(UnitOfWork, RecordingTransaction(self.calls))

    async def claim_buckets(self, uow: UnitOfWork) -> list[int]:
        self.calls.append("claim")
        self.saturated = self._saturated_after_claim
        return self._buckets

    async def any_pending(self, uow: UnitOfWork) -> bool:
        self.calls.append("any pending")
        return self._pending

    async def due_rows(
        self, uow: UnitOfWork, buckets: list[int], share: int
    ) -> list[tuple[Any, ...]]:
        self.calls.append(f"due rows {share} each")
        return self._rows

    async def mark_published(self, uow: UnitOfWork, ids: list[Any]) -> None:
        self.calls.append("mark")
        self.marked.extend(ids)


class RecordingPublisher:
    def __init__(self, calls: list[str]) -> None:
        self._calls = calls
        self.sent: list[str] = []

    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        self._calls.append("publish")
        self.sent.extend(message.event_id for message in messages)


async def passed(store: RecordingStore) -> tuple[PassOutcome, RecordingPublisher, OutboxRelay]:
    publisher = RecordingPublisher(store.calls)
    relay = OutboxRelay(
        cast(aiomysql.Pool, None),
        cast(Publisher, publisher),
        OutboxSettings(batch_size=BATCH_SIZE, buckets_per_pass=4),
    )
    relay.store = store
    return await relay.relay_pass(), publisher, relay


async def test_a_pass_claims_reads_publishes_marks_and_commits_once() -> None:
    store = RecordingStore([3, 7], [row(1, 3), row(2, 7), row(4, 3)])
    outcome, publisher, relay = await passed(store)
    assert store.calls == ["claim", "due rows 5 each", "publish", "mark", "commit", "end"]
    assert publisher.sent == ["event-1", "event-2", "event-4"]
    assert store.marked == [1, 2, 4]
    assert outcome == PassOutcome(3, may_have_left_rows=False)
    assert relay.published == 3


async def test_a_bucket_read_to_its_share_may_have_left_rows() -> None:
    store = RecordingStore([3, 7], [row(i, 3) for i in range(5)] + [row(9, 7)])
    outcome, _, _ = await passed(store)
    assert outcome == PassOutcome(6, may_have_left_rows=True)


async def test_a_claim_of_every_bucket_it_takes_may_have_left_rows() -> None:
    store = RecordingStore([3, 7], [row(1, 3)], saturated=True)
    outcome, _, _ = await passed(store)
    assert outcome == PassOutcome(1, may_have_left_rows=True)


async def test_no_bucket_claimed_and_rows_pending_means_held_elsewhere() -> None:
    store = RecordingStore([], [], pending=True)
    outcome, publisher, _ = await passed(store)
    assert store.calls == ["claim", "any pending", "end"]
    assert outcome == PassOutcome(HELD_ELSEWHERE)
    assert publisher.sent == []


async def test_no_bucket_claimed_and_nothing_pending_means_nothing_to_do() -> None:
    store = RecordingStore([], [], pending=False)
    outcome, _, _ = await passed(store)
    assert outcome == PassOutcome(0)


async def test_claimed_buckets_whose_rows_went_meanwhile_publish_nothing() -> None:
    store = RecordingStore([3], [])
    outcome, publisher, _ = await passed(store)
    assert store.calls == ["claim", "due rows 10 each", "end"]
    assert outcome == PassOutcome(0)
    assert publisher.sent == []
