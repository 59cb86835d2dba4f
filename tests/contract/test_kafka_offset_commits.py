"""A Kafka consumer commits the offsets of the runs it handled together, at most every
``commit_interval_ms``, and all of them when it stops: here the interval outlasts the
test, so handling many runs sends no commit until the stop sends one."""

from __future__ import annotations

import functools

from aiokafka.protocol.commit import OffsetCommitRequest

from shared.messaging import RoutingPublisher
from tests.contract.events import order_confirmed
from tests.contract.kafka_requests import SentRequests, committed, recording_consumer
from tests.support.consumers import running
from tests.support.polling import eventually

EVENTS = 12


async def test_handled_runs_are_committed_together_and_all_at_the_stop(
    kafka_bootstrap: str,
) -> None:
    recording = await recording_consumer(kafka_bootstrap, commit_interval_ms=60_000)
    async with running(recording.consumer):
        commits = SentRequests(recording.consumer, OffsetCommitRequest)
        publisher = RoutingPublisher(recording.broker.settings)
        for sent in range(1, EVENTS + 1):  # one at a time: runs of their own
            await publisher.publish_many([order_confirmed()])
            await eventually(functools.partial(_reached, recording.handled, sent), what="handled")
        await publisher.close()
        assert commits.sent == [], "no commit before the interval"
    assert len(commits.sent) == 1, "one commit for every run, at the stop"
    assert await committed(recording.broker, recording.subscription) == EVENTS


def _reached(handled: list[str], count: int) -> bool:
    return len(handled) >= count
