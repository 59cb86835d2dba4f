"""The processor's path for a run of messages, with in-memory handlers and dead-letter sink."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.envelope import Envelope, decode
from shared.errors import PermanentError, TransientError
from shared.events import Event
from shared.messaging import IncomingMessage
from shared.messaging.processor import MessageProcessor
from shared.settings import RetrySettings
from tests.support.fakes import FakeDeadLetters
from tests.support.polling import eventually
from tests.support.processed_messages import FAST_RETRY, SUBSCRIPTION, confirmed_message, message


def event_id(incoming: IncomingMessage) -> str:
    return decode(incoming.body).id


class RecordingHandlers:
    """Per-message and batch handlers that record what they were given; a batch fails when
    it holds an id in ``fail_batches_with``, a single message as ``failures`` says."""

    def __init__(
        self,
        fail_batches_with: set[str] | None = None,
        failures: dict[str, list[Exception]] | None = None,
    ) -> None:
        self.batches: list[list[str]] = []
        self.singles: list[str] = []
        self.applied: list[str] = []
        self._fail_batches_with = fail_batches_with or set()
        self._failures = failures or {}

    async def handle(self, event: Event, envelope: Envelope) -> None:
        self.singles.append(envelope.id)
        queued = self._failures.get(envelope.id)
        if queued:
            raise queued.pop(0)
        self.applied.append(envelope.id)

    async def handle_many(self, events: Sequence[tuple[Event, Envelope]]) -> None:
        ids = [envelope.id for _, envelope in events]
        self.batches.append(ids)
        if self._fail_batches_with & set(ids):
            raise TransientError("deadlock found when trying to get lock")
        self.applied.extend(ids)

    def processor(
        self, sink: FakeDeadLetters, retry: RetrySettings = FAST_RETRY
    ) -> MessageProcessor:
        return MessageProcessor(
            SUBSCRIPTION, self.handle, sink, retry, batch_handler=self.handle_many
        )


async def test_a_run_of_healthy_messages_goes_to_the_batch_handler_once_in_order() -> None:
    run = [confirmed_message() for _ in range(5)]
    handlers, sink = RecordingHandlers(), FakeDeadLetters()

    done = await handlers.processor(sink).process_many(run)

    assert done == 5
    assert handlers.batches == [[event_id(m) for m in run]]
    assert handlers.singles == []
    assert sink.records == []


async def test_poison_in_a_run_is_dead_lettered_with_its_reason_and_the_rest_handled() -> None:
    healthy = [confirmed_message() for _ in range(3)]
    run = [healthy[0], message(b"not json"), healthy[1], message(b'{"hello": 1}'), healthy[2]]
    handlers, sink = RecordingHandlers(), FakeDeadLetters()

    done = await handlers.processor(sink).process_many(run)

    assert done == 5
    assert handlers.batches == [[event_id(m) for m in healthy]]
    assert [(body, reason.split(":")[0], attempts) for body, reason, attempts in sink.records] == [
        (b"not json", "NotJsonError", 0),
        (b'{"hello": 1}', "NotACloudEventError", 0),
    ]


async def test_a_failed_batch_falls_back_to_one_by_one_with_retries_and_dead_letters() -> None:
    healthy, flaky, rejected = confirmed_message(), confirmed_message(), confirmed_message()
    handlers = RecordingHandlers(
        fail_batches_with={event_id(rejected)},
        failures={
            event_id(flaky): [TransientError("busy"), TransientError("busy")],
            event_id(rejected): [PermanentError("no such customer")],
        },
    )
    sink = FakeDeadLetters()

    done = await handlers.processor(sink).process_many([healthy, rejected, flaky])

    assert done == 3
    assert len(handlers.batches) == 1
    assert handlers.applied == [event_id(healthy), event_id(flaky)]
    assert handlers.singles.count(event_id(flaky)) == 3
    assert sink.records == [(rejected.body, "PermanentError: no such customer", 1)]


async def test_without_a_batch_handler_each_message_is_handled_on_its_own() -> None:
    run = [confirmed_message() for _ in range(3)]
    handlers, sink = RecordingHandlers(), FakeDeadLetters()
    processor = MessageProcessor(SUBSCRIPTION, handlers.handle, sink, FAST_RETRY)

    assert await processor.process_many(run) == 3
    assert handlers.singles == [event_id(m) for m in run]


async def test_a_single_healthy_message_goes_to_the_batch_handler_too() -> None:
    """Its statements for one event are fewer than the one-event handler's."""
    handlers, sink = RecordingHandlers(), FakeDeadLetters()
    single = confirmed_message()

    assert await handlers.processor(sink).process_many([message(b"junk"), single]) == 2
    assert handlers.batches == [[event_id(single)]]
    assert handlers.singles == []


async def test_a_single_message_whose_batch_failed_is_handled_on_its_own() -> None:
    single = confirmed_message()
    handlers = RecordingHandlers(fail_batches_with={event_id(single)})

    assert await handlers.processor(FakeDeadLetters()).process_many([single]) == 1
    assert handlers.singles == [event_id(single)]


async def test_stopping_during_a_fallback_retry_reports_only_the_leading_finished_messages() -> (
    None
):
    first, stuck, last = confirmed_message(), confirmed_message(), confirmed_message()
    handlers = RecordingHandlers(
        fail_batches_with={event_id(stuck)},
        failures={event_id(stuck): [TransientError("down")] * 5},
    )
    slow_retry = RetrySettings(max_attempts=5, initial_backoff_s=60, max_backoff_s=60)
    processor = handlers.processor(FakeDeadLetters(), slow_retry)

    processing = asyncio.create_task(processor.process_many([first, stuck, last]))
    await eventually(lambda: event_id(stuck) in handlers.singles, what="the stuck attempt")
    processor.stop()
    done = await asyncio.wait_for(processing, timeout=5)

    assert done == 1, "only the first message may be acknowledged"
    assert event_id(last) not in handlers.applied


async def test_an_empty_run_finishes_nothing() -> None:
    handlers = RecordingHandlers()
    assert await handlers.processor(FakeDeadLetters()).process_many([]) == 0
