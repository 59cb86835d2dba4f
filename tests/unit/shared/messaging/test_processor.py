"""The per-message semantics of ``process_many``, the path both adapters take, with an
in-memory dead-letter sink."""

from __future__ import annotations

import asyncio

from shared.envelope import Envelope
from shared.errors import PermanentError, TransientError
from shared.events import Event
from shared.messaging import Handler, Subscription
from shared.messaging.processor import MessageProcessor
from shared.settings import RetrySettings
from tests.support.fakes import FakeDeadLetters
from tests.support.polling import eventually
from tests.support.processed_messages import FAST_RETRY, SUBSCRIPTION, confirmed_message, message


def failing(times: int, error: Exception, calls: list[int]) -> Handler:
    async def handle(event: Event, envelope: Envelope) -> None:
        calls.append(1)
        if len(calls) <= times:
            raise error

    return handle


async def test_a_transient_failure_is_retried_and_then_succeeds() -> None:
    calls: list[int] = []
    sink = FakeDeadLetters()
    processor = MessageProcessor(
        SUBSCRIPTION, failing(2, TransientError("busy"), calls), sink, FAST_RETRY
    )
    assert await processor.process_many([confirmed_message()]) == 1
    assert len(calls) == 3
    assert sink.records == []


async def test_retries_are_bounded_and_then_the_message_is_dead_lettered() -> None:
    calls: list[int] = []
    sink = FakeDeadLetters()
    processor = MessageProcessor(
        SUBSCRIPTION, failing(99, KeyError("bug"), calls), sink, FAST_RETRY
    )
    incoming = confirmed_message()
    assert await processor.process_many([incoming]) == 1
    assert len(calls) == 3
    [(body, reason, attempts)] = sink.records
    assert body == incoming.body
    assert reason.startswith("retries exhausted after 3 attempts: KeyError")
    assert attempts == 3


async def test_a_permanent_error_from_the_handler_is_dead_lettered_at_once() -> None:
    calls: list[int] = []
    sink = FakeDeadLetters()
    processor = MessageProcessor(
        SUBSCRIPTION, failing(99, PermanentError("no such customer"), calls), sink, FAST_RETRY
    )
    assert await processor.process_many([confirmed_message()]) == 1
    assert len(calls) == 1
    assert sink.records[0][1:] == ("PermanentError: no such customer", 1)


async def test_a_message_of_another_type_is_dead_lettered_without_calling_the_handler() -> None:
    calls: list[int] = []
    sink = FakeDeadLetters()
    processor = MessageProcessor(
        Subscription("x", "order.placed"), failing(0, KeyError(), calls), sink, FAST_RETRY
    )
    assert await processor.process_many([confirmed_message()]) == 1
    assert calls == []
    assert sink.records[0][1].startswith("UnknownEventTypeError")


async def test_the_dead_letter_publish_is_retried_until_the_broker_confirms() -> None:
    sink = FakeDeadLetters(failures_before_success=2)
    processor = MessageProcessor(SUBSCRIPTION, failing(0, KeyError(), []), sink, FAST_RETRY)
    assert await processor.process_many([message(b"garbage")]) == 1
    assert len(sink.records) == 1
    assert sink.records[0][1].startswith("NotJsonError")


async def test_stopping_during_a_backoff_abandons_the_message_unacknowledged() -> None:
    slow_retry = RetrySettings(max_attempts=5, initial_backoff_s=60, max_backoff_s=60)
    calls: list[int] = []
    sink = FakeDeadLetters()
    processor = MessageProcessor(
        SUBSCRIPTION, failing(99, TransientError("down"), calls), sink, slow_retry
    )
    first, second = confirmed_message(), confirmed_message()
    processing = asyncio.create_task(processor.process_many([first, second]))
    await eventually(lambda: bool(calls), what="the first attempt")
    processor.stop()
    assert await asyncio.wait_for(processing, timeout=5) == 0  # neither may be acknowledged
    assert sink.records == []
    assert len(calls) == 1


async def test_a_body_over_the_size_limit_is_dead_lettered_before_parsing() -> None:
    calls: list[int] = []
    sink = FakeDeadLetters()
    healthy = confirmed_message()
    limit = len(healthy.body)
    processor = MessageProcessor(
        SUBSCRIPTION, failing(0, KeyError(), calls), sink, FAST_RETRY, max_message_bytes=limit
    )
    # One byte over: not JSON either, so only the size check names it MessageTooLargeError.
    oversized = message(healthy.body + b"}")
    assert await processor.process_many([oversized, healthy]) == 2
    assert calls == [1], "the message at the limit is handled"
    [(body, reason, attempts)] = sink.records
    assert body == oversized.body
    assert reason.startswith("MessageTooLargeError: ")
    assert f"{limit + 1} bytes" in reason
    assert attempts == 0
