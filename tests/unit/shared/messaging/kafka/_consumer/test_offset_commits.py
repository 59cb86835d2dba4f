"""Handled offsets go to the broker together: one commit for the runs handled within an
interval, every pending offset on a flush, none lost when a commit fails."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from shared.messaging.kafka._consumer.offset_commits import OffsetCommits
from tests.support.polling import eventually

A, B = TopicPartition("t", 0), TopicPartition("t", 1)
LONG_S = 3600.0  # never reached in a test: only flush commits


class Broker:
    def __init__(self, failures: int = 0) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self._failures = failures

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self._failures:
            self._failures -= 1
            raise ConnectionError("broker away")
        self.commits.append(dict(offsets))


async def test_runs_handled_within_the_interval_share_one_commit() -> None:
    broker = Broker()
    commits = OffsetCommits(broker.commit, interval_s=0.01)
    commits.handled(A, 5)
    commits.handled(B, 3)
    commits.handled(A, 9)
    await eventually(lambda: broker.commits != [], timeout=5, what="a commit")
    await commits.flush()
    assert broker.commits == [{A: 9, B: 3}]


async def test_nothing_is_committed_before_the_interval_but_all_on_a_flush() -> None:
    broker = Broker()
    commits = OffsetCommits(broker.commit, interval_s=LONG_S)
    commits.handled(A, 2)
    await asyncio.sleep(0)  # the commit task runs up to its wait
    assert broker.commits == []
    await commits.flush()
    assert broker.commits == [{A: 2}]
    await commits.flush()
    assert broker.commits == [{A: 2}], "nothing pending: no second commit"


async def test_an_offset_never_goes_back() -> None:
    broker = Broker()
    commits = OffsetCommits(broker.commit, interval_s=LONG_S)
    commits.handled(A, 7)
    commits.handled(A, 4)
    await commits.flush()
    assert broker.commits == [{A: 7}]


async def test_a_failed_commit_keeps_its_offsets_for_the_next() -> None:
    broker = Broker(failures=1)
    commits = OffsetCommits(broker.commit, interval_s=LONG_S)
    commits.handled(A, 3)
    with pytest.raises(ConnectionError):
        await commits.flush()
    commits.handled(B, 1)
    await commits.flush()
    assert broker.commits == [{A: 3, B: 1}]


async def test_cancel_forgets_what_is_pending() -> None:
    broker = Broker()
    commits = OffsetCommits(broker.commit, interval_s=LONG_S)
    commits.handled(A, 3)
    commits.cancel()
    await commits.flush()
    assert broker.commits == []


class SlowBroker(Broker):
    """A broker whose commits wait until ``answer`` is set, the first of them at least."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()
        self.asked = asyncio.Event()

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.asked.set()
        await self.answer.wait()
        await super().commit(offsets)


async def test_an_offset_handled_while_a_commit_is_in_flight_is_committed_after_it() -> None:
    """Nothing else is handled after it, as at the end of a backlog: it must still go
    to the broker without waiting for a flush."""
    broker = SlowBroker()
    commits = OffsetCommits(broker.commit, interval_s=0.01)
    commits.handled(A, 5)
    await asyncio.wait_for(broker.asked.wait(), timeout=5)
    commits.handled(A, 8)  # the commit of 5 is in flight
    broker.answer.set()
    await eventually(lambda: broker.commits[-1:] == [{A: 8}], timeout=5, what="8 committed")
    assert broker.commits == [{A: 5}, {A: 8}]
