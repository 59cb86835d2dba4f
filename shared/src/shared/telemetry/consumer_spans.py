"""CONSUMER spans with the messaging semantic conventions, and the null span that
stands for them while tracing is off.

A run of one message gets a CONSUMER span that is a child of the message's PRODUCER
context; a run of several gets one CONSUMER span linked to each message's context (the
conventions' form for batch processing: a span has one parent), and each message's
handler span continues that message's PRODUCER context (``message_context``), so every
trace still goes on through the handler and the events it writes; nothing per message
is parsed or built unless a handler traces. A run that a batch handler takes in one
call has one handler span, in the run's trace; each message's trace then gets a
CONSUMER span of its own for that call, linked to the run's span
(``handling_together``), and what the call does for one event on its own
(``message_context.continuing_message``) continues that span.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from shared.telemetry.message_context import (
    TraceHeaders,
    entering_message,
    handled_together,
    leaving_message,
)
from shared.telemetry.trace_context import parse_traceparent, remote_context
from shared.telemetry.tracing import tracer

MAX_LINKS = 128
"""The SDK's default span link limit: a bigger run links its first 128 messages."""


class TogetherSpans:
    """The CONSUMER spans the messages of a run get while a batch handler takes them."""

    def __init__(self, spans: list[Span]) -> None:
        self._spans = spans

    def failed(self, reason: str) -> None:
        """The call failed (nothing was applied); its messages are handled one by one."""
        for span in self._spans:
            span.set_status(Status(StatusCode.ERROR, reason))


class ProcessSpan:
    """The CONSUMER span of one run of messages and the context each handler runs in."""

    def __init__(
        self,
        span: Span,
        trace_headers: Sequence[TraceHeaders | None],
        name: str,
        attributes: dict[str, str | int],
    ) -> None:
        self._span = span
        self._name = name
        self._own_context = trace.set_span_in_context(span)
        self._trace_headers = trace_headers
        self._attributes = attributes

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        """Around the whole run: the CONSUMER span is the current context, and ends."""
        token = otel_context.attach(self._own_context)
        try:
            yield
        finally:
            self._span.end()
            otel_context.detach(token)

    def name_message(self, event_id: str) -> None:
        """A run of one names its message (a run of several has a span per message)."""
        if len(self._trace_headers) == 1:
            self._span.set_attribute("messaging.message.id", event_id)

    @contextlib.contextmanager
    def handling(self, index: int, event_id: str) -> Iterator[None]:
        """Message ``index`` is handled on its own: in a run of several, its handler span
        continues the message's own trace (a run of one is the CONSUMER span's child)."""
        self.name_message(event_id)
        single = len(self._trace_headers) == 1
        token = entering_message(None if single else self._trace_headers[index])
        try:
            yield
        finally:
            leaving_message(token)

    @contextlib.contextmanager
    def handling_together(
        self, event_ids: Callable[[], Sequence[tuple[int, str]]]
    ) -> Iterator[TogetherSpans]:
        """Messages ``(index, event id)`` of a run of several go to the batch handler in
        one call, whose own spans are the run's: each message's trace gets a CONSUMER span
        of its own for the call, linked to the run's span, so that every trace reaches
        this subscriber; what the handler does for one event under
        ``continuing_message`` continues that span."""
        active = tracer()
        if active is None:
            yield TogetherSpans([])
            return
        run = [Link(self._span.get_span_context())]
        spans: list[Span] = []
        contexts: dict[str, Context] = {}
        for index, event_id in event_ids():
            headers = self._trace_headers[index]
            parent = remote_context(headers[0], headers[1]) if headers else None
            if parent is None:
                continue  # a message without a trace has nothing to continue
            span = active.start_span(
                self._name,
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes={**self._attributes, "messaging.message.id": event_id},
                links=run,
            )
            spans.append(span)
            contexts[event_id] = trace.set_span_in_context(span)
        try:
            with handled_together(contexts):
                yield TogetherSpans(spans)
        finally:
            for span in spans:
                span.end()

    def retried(self, attempt: int, reason: str) -> None:
        self._span.add_event("retry", {"attempt": attempt, "reason": reason})

    def dead_lettered(self, reason: str, attempts: int) -> None:
        self._span.add_event("dead-lettered", {"reason": reason, "attempts": attempts})
        self._span.set_status(Status(StatusCode.ERROR, "dead-lettered"))


class _NullProcessSpan(ProcessSpan):
    """Tracing off: every step a no-op, nothing read or built."""

    def __init__(self) -> None:
        pass

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        yield

    def name_message(self, event_id: str) -> None:
        pass

    @contextlib.contextmanager
    def handling(self, index: int, event_id: str) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def handling_together(
        self, event_ids: Callable[[], Sequence[tuple[int, str]]]
    ) -> Iterator[TogetherSpans]:
        yield _NO_SPANS

    def retried(self, attempt: int, reason: str) -> None:
        pass

    def dead_lettered(self, reason: str, attempts: int) -> None:
        pass


_NO_SPANS = TogetherSpans([])
NULL_PROCESS_SPAN: ProcessSpan = _NullProcessSpan()


def start_process(
    system: str,
    destination: str,
    subscriber: str,
    trace_headers: Sequence[TraceHeaders | None],
) -> ProcessSpan:
    """Start the CONSUMER span of a run of messages; the null span while tracing is off."""
    active = tracer()
    if active is None or not trace_headers:
        return NULL_PROCESS_SPAN
    attributes: dict[str, str | int] = {
        "messaging.system": system,
        "messaging.destination.name": destination,
        "messaging.consumer.group.name": subscriber,
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
    }
    name = f"process {destination}"
    per_message = dict(attributes)
    if len(trace_headers) == 1:
        headers = trace_headers[0]
        span = active.start_span(
            name,
            context=remote_context(headers[0], headers[1]) if headers else None,
            kind=SpanKind.CONSUMER,
            attributes=attributes,
        )
    else:
        attributes["messaging.batch.message_count"] = len(trace_headers)
        links = [
            Link(producer)
            for headers in trace_headers[:MAX_LINKS]
            if headers is not None
            and (producer := parse_traceparent(headers[0], headers[1])) is not None
        ]
        # A root span: the run belongs to several traces, reached through the links.
        span = active.start_span(
            name,
            context=Context(),
            kind=SpanKind.CONSUMER,
            attributes=attributes,
            links=links,
        )
    return ProcessSpan(span, trace_headers, name, per_message)
