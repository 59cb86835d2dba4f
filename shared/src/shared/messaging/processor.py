"""What happens to one message, whichever broker it came from.

Refuse a body over the size limit unparsed; parse and validate, type and source
included (an event its type's producer did not send is dead-lettered); call the handler;
retry transient failures with exponential backoff and jitter up to a bound; send
permanent failures (and exhausted retries) to the dead-letter destination with the
reason. The caller acknowledges the message only after ``process`` returned.

``process_many`` does the same for a run of messages: unparseable ones are
dead-lettered one by one, the rest go to the batch handler in one call, and if
that call fails each of them gets the per-message treatment above.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shared.envelope import Envelope, decode
from shared.errors import (
    MessageTooLargeError,
    PermanentError,
    UnexpectedSourceError,
    UnknownEventTypeError,
)
from shared.events.base import Event
from shared.messaging.protocols import (
    BatchHandler,
    DeadLetterSink,
    Handler,
    IncomingMessage,
    Subscription,
)
from shared.messaging.retries import Backoff, ProcessingAbandoned
from shared.settings import DEFAULT_MAX_MESSAGE_BYTES, RetrySettings
from shared.telemetry.consumer_spans import ProcessSpan, start_process
from shared.telemetry.db_errors import error_code, is_database_error
from shared.telemetry.metrics import (
    EVENTS_CONSUMED,
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_RETRIED,
    HANDLER_DURATION,
)
from shared.telemetry.progress import Progress

log = logging.getLogger(__name__)


class MessageProcessor:
    def __init__(
        self,
        subscription: Subscription,
        handler: Handler,
        dead_letters: DeadLetterSink,
        retry: RetrySettings,
        *,
        batch_handler: BatchHandler | None = None,
        jitter: Callable[[], float] = random.random,
        system: str = "unknown",
        destination: str | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        """``system`` and ``destination`` (default: the event type) name the broker and
        the topic or queue in spans; a body over ``max_message_bytes`` is dead-lettered
        without being parsed."""
        self._max_message_bytes = max_message_bytes
        self._subscription = subscription
        self._system = system
        self._destination = destination or subscription.event_type
        labels = (subscription.event_type, subscription.subscriber)
        self._consumed = EVENTS_CONSUMED.labels(*labels)
        self._retried = EVENTS_RETRIED.labels(*labels)
        self._dead_lettered = EVENTS_DEAD_LETTERED.labels(*labels)
        self._handler_duration = HANDLER_DURATION.labels(*labels)
        # The inbox counts duplicates; the series exists at 0 from the start, as the
        # others do, so that a rate over it is 0 rather than no data.
        EVENTS_DUPLICATE.labels(*labels)
        self._handler = handler
        self._batch_handler = batch_handler
        self._dead_letters = dead_letters
        self._backoff = Backoff(retry, jitter)
        self.progress = Progress()
        """When an event last reached its outcome (``eda_subscriber_idle_seconds``)."""

    def stop(self) -> None:
        self._backoff.stop()

    async def process_many(self, messages: Sequence[IncomingMessage]) -> int:
        """Process a run of messages; return how many leading ones reached their outcome
        (all of them, unless shutdown abandoned one while it waited to be retried)."""
        span = start_process(
            self._system,
            self._destination,
            self._subscription.subscriber,
            [message.trace_headers for message in messages],
        )
        with span.running():
            done = await self._process_run(messages, span)
        self._consumed.inc(done)
        return done

    async def _process_run(self, messages: Sequence[IncomingMessage], span: ProcessSpan) -> int:
        if self._batch_handler is None:
            return await self._process_each(messages, span)
        finished = [False] * len(messages)
        parsed: list[_Parsed] = []
        try:
            for index, message in enumerate(messages):
                try:
                    envelope, event = self._parse(message.body)
                except PermanentError as exc:
                    await self._dead_letter(message, _reason(exc), attempts=0, span=span)
                    finished[index] = True
                    continue
                parsed.append(_Parsed(index, message, envelope, event))
            if len(parsed) == 1:
                # A run of one is handled together too: its CONSUMER span still names it.
                span.name_message(parsed[0].envelope.id)
            if await self._handle_together(parsed, span):
                for item in parsed:
                    finished[item.index] = True
                return len(messages)
            for item in parsed:
                await self._handle(item.message, item.envelope, item.event, span, item.index)
                finished[item.index] = True
        except ProcessingAbandoned:
            pass
        return _leading_true(finished)

    async def _process_each(self, messages: Sequence[IncomingMessage], span: ProcessSpan) -> int:
        """Without a batch handler: parse and handle one message at a time, so that no
        run of parsed events stays alive (holding them all made the garbage collector
        scan them again and again, halving throughput)."""
        for index, message in enumerate(messages):
            try:
                try:
                    envelope, event = self._parse(message.body)
                except PermanentError as exc:
                    await self._dead_letter(message, _reason(exc), attempts=0, span=span)
                    continue
                await self._handle(message, envelope, event, span, index)
            except ProcessingAbandoned:
                return index
        return len(messages)

    async def _handle_together(self, parsed: list[_Parsed], span: ProcessSpan) -> bool:
        if len(parsed) < 2:
            return await self._call_batch_handler(parsed)
        with span.handling_together(
            lambda: [(item.index, item.envelope.id) for item in parsed]
        ) as spans:
            handled = await self._call_batch_handler(parsed)
            if not handled:
                spans.failed("handled one by one instead")
        return handled

    async def _call_batch_handler(self, parsed: list[_Parsed]) -> bool:
        """One batch handler call; False if there is none or it failed (nothing applied).

        A run of one event goes to it too: at low rates most runs are of one event, and
        a batch handler's statements for one event are fewer than the one-event
        handler's (the users context's confirmation: six against nine)."""
        if self._batch_handler is None or not parsed:
            return False
        try:
            started = time.perf_counter()
            await self._batch_handler([(item.event, item.envelope) for item in parsed])
            self._handler_duration.observe(time.perf_counter() - started)
            self.progress.completed()
        except Exception as exc:
            # A single event's failure is told once by the one-event handling that
            # follows, with its retries; a batch's is worth a line of its own.
            log.log(
                logging.WARNING if len(parsed) > 1 else logging.DEBUG,
                "%s: a batch of %d events failed (%s); handling them one by one",
                self._subscription.subscriber,
                len(parsed),
                _reason(exc),
            )
            return False
        return True

    def _parse(self, body: bytes) -> tuple[Envelope, Event]:
        if len(body) > self._max_message_bytes:
            raise MessageTooLargeError(
                f"{len(body)} bytes, over the limit of {self._max_message_bytes}"
                " (EDA_MAX_MESSAGE_BYTES)"
            )
        envelope = decode(body)
        if envelope.type != self._subscription.event_type:
            expected = self._subscription.event_type
            raise UnknownEventTypeError(
                f"{envelope.type!r} arrived on the subscription for {expected!r}"
            )
        allowed = self._subscription.source
        if allowed is not None and envelope.source != allowed:
            # The source is the sender's own text: quoted only as far as a short repr.
            raise UnexpectedSourceError(
                f"{envelope.type} from source {envelope.source[:200]!r}; only {allowed!r}"
                " publishes it"
            )
        return envelope, envelope.event()

    async def _handle(
        self,
        message: IncomingMessage,
        envelope: Envelope,
        event: Event,
        span: ProcessSpan,
        index: int,
    ) -> None:
        with span.handling(index, envelope.id):
            await self._attempt(message, envelope, event, span)

    async def _attempt(
        self, message: IncomingMessage, envelope: Envelope, event: Event, span: ProcessSpan
    ) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                started = time.perf_counter()
                await self._handler(event, envelope)
                self._handler_duration.observe(time.perf_counter() - started)
                self.progress.completed()
                return
            except PermanentError as exc:
                await self._dead_letter(
                    message,
                    _reason(exc),
                    attempts=attempt,
                    span=span,
                    span_reason=_span_reason(exc),
                )
                return
            except Exception as exc:
                if attempt >= self._backoff.max_attempts:
                    exhausted = f"retries exhausted after {attempt} attempts: "
                    await self._dead_letter(
                        message,
                        exhausted + _reason(exc),
                        attempts=attempt,
                        span=span,
                        span_reason=exhausted + _span_reason(exc),
                    )
                    return
                delay = self._backoff.delay(attempt)
                log.warning(
                    "%s: attempt %d for event %s failed (%s); retrying in %.2fs",
                    self._subscription.subscriber,
                    attempt,
                    envelope.id,
                    _reason(exc),
                    delay,
                )
                self._retried.inc()
                span.retried(attempt, _span_reason(exc))
                await self._backoff.pause(delay)

    async def _dead_letter(
        self,
        message: IncomingMessage,
        reason: str,
        attempts: int,
        span: ProcessSpan,
        span_reason: str | None = None,
    ) -> None:
        """``span_reason``, if given, replaces ``reason`` on the span (no error message
        that may quote personal data)."""
        log.error(
            "%s: dead-lettering %s: %s", self._subscription.subscriber, message.origin, reason
        )
        failures = 0
        while True:
            try:
                await self._dead_letters.dead_letter(message, reason, attempts)
                break
            except Exception as exc:  # the broker is away: keep the message, try again
                failures += 1
                delay = self._backoff.delay(failures)
                log.warning("dead-letter publish failed (%s); retrying in %.2fs", exc, delay)
                await self._backoff.pause(delay)
        self._dead_lettered.inc()
        self.progress.completed()
        span.dead_lettered(reason if span_reason is None else span_reason, attempts)


@dataclass(frozen=True, slots=True)
class _Parsed:
    index: int
    message: IncomingMessage
    envelope: Envelope
    event: Event


def _leading_true(flags: list[bool]) -> int:
    return next((index for index, flag in enumerate(flags) if not flag), len(flags))


def _reason(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"[:2000]


def _span_reason(exc: BaseException) -> str:
    """The reason for spans: a database error's message may quote the statement's
    values (a duplicate e-mail), so only its type and error code."""
    if not is_database_error(exc):
        return _reason(exc)
    code = error_code(exc)
    return type(exc).__name__ if code is None else f"{type(exc).__name__}: MySQL error {code}"
