"""PRODUCER and CONSUMER spans with the messaging semantic conventions.

Publishing: a message that carries the context it was created in (an outbox row
keeps its request's context) gets its own PRODUCER span, a child of that context,
so the trace continues although the relay runs later. Messages published without
one share one PRODUCER span per call, a child of the caller's current span. Each
message carries its PRODUCER span's context in ``traceparent``/``tracestate``
headers; the CloudEvents ``traceparent`` extension keeps the creation context.

Processing: a run of one message gets a CONSUMER span that is a child of the
message's PRODUCER context; a run of several gets one CONSUMER span linked to each
message's context (the conventions' form for batch processing: a span has one
parent), and each message's handler span continues that message's PRODUCER context
(``message_parent``), so every trace still goes on through the handler and the events
it writes; nothing per message is parsed or built unless a handler traces. A run that
a batch handler takes in one call has one handler span, in the run's trace; each
message's trace then gets a CONSUMER span of its own for that call, linked to the
run's span (``handling_together``), and what the call does for one event on its own
(``continuing_message``) continues that span, the events it writes included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar, Token
from typing import NamedTuple

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import (
    Link,
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
)

from shared.telemetry.trace_context import (
    format_traceparent,
    format_tracestate,
    parse_traceparent,
    remote_context,
)
from shared.telemetry.tracing import tracer

MAX_LINKS = 128
"""The SDK's default span link limit: a bigger run links its first 128 messages."""

TraceHeaders = tuple[str, str | None]


class PublishItem(NamedTuple):
    """One message of a publish call (a tuple: made for every message, so cheap)."""

    event_id: str
    destination: str
    traceparent: str | None
    tracestate: str | None


class PublishSpans:
    """The PRODUCER spans of one publish call; ``headers[i]`` goes with message i."""

    def __init__(self, spans: list[Span], headers: list[TraceHeaders]) -> None:
        self._spans = spans
        self.headers = headers

    def end(self, error: BaseException | None = None) -> None:
        for span in self._spans:
            if error is not None:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR, type(error).__name__))
            span.end()


def start_publish(system: str, items: Sequence[PublishItem]) -> PublishSpans | None:
    """Start the spans of one publish call, or None when tracing is off."""
    active = tracer()
    if active is None or not items:
        return None
    parents = [remote_context(item.traceparent, item.tracestate) for item in items]
    spans: list[Span] = []
    headers: list[TraceHeaders] = []
    shared: TraceHeaders | None = None
    for item, parent in zip(items, parents, strict=True):
        if parent is not None:
            span = _producer_span(active, system, [item], parent)
            spans.append(span)
            headers.append(_headers_of(span))
            continue
        if shared is None:
            unparented = [i for i, p in zip(items, parents, strict=True) if p is None]
            shared_span = _producer_span(active, system, unparented, None)
            spans.append(shared_span)
            shared = _headers_of(shared_span)
        headers.append(shared)
    return PublishSpans(spans, headers)


@contextlib.contextmanager
def publishing(
    system: str, items: Callable[[], Sequence[PublishItem]]
) -> Iterator[list[TraceHeaders] | None]:
    """Around one publish call: the trace headers for each message (None while tracing
    is off, when ``items`` is not even called), the spans ended with the outcome."""
    spans = start_publish(system, items()) if tracer() is not None else None
    if spans is None:
        yield None
        return
    try:
        yield spans.headers
    except BaseException as exc:
        spans.end(exc)
        raise
    spans.end()


def _producer_span(
    active: Tracer, system: str, items: Sequence[PublishItem], parent: Context | None
) -> Span:
    destinations = {item.destination for item in items}
    destination = destinations.pop() if len(destinations) == 1 else None
    attributes: dict[str, str | int] = {
        "messaging.system": system,
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
    }
    if destination is not None:
        attributes["messaging.destination.name"] = destination
    if len(items) == 1:
        attributes["messaging.message.id"] = items[0].event_id
    else:
        attributes["messaging.batch.message_count"] = len(items)
    return active.start_span(
        f"send {destination}" if destination else "send",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes=attributes,
    )


def _headers_of(span: Span) -> TraceHeaders:
    span_context = span.get_span_context()
    return format_traceparent(span_context), format_tracestate(span_context)


_MESSAGE_PARENT: ContextVar[TraceHeaders | None] = ContextVar("eda_message_parent", default=None)
"""The trace headers of the message being handled in a run of several: its handler
span's parent. Kept as the raw headers and parsed only by a handler that traces."""


def message_parent() -> Context | None:
    """The context a handler span should continue: the PRODUCER context of the message
    being handled in a run of several, else None (the current context)."""
    headers = _MESSAGE_PARENT.get()
    return remote_context(headers[0], headers[1]) if headers is not None else None


_RUN_MESSAGES: ContextVar[Mapping[str, Context] | None] = ContextVar(
    "eda_run_messages", default=None
)
"""While a batch handler takes a run of several messages in one call: each traced
message's event id and the context of its own CONSUMER span."""


@contextlib.contextmanager
def continuing_message(event_id: str) -> Iterator[None]:
    """A batch handler handles the event ``event_id`` of its run on its own: the spans
    it makes, and the events it writes, continue that message's trace rather than the
    run's."""
    contexts = _RUN_MESSAGES.get()
    own = contexts.get(event_id) if contexts is not None else None
    if own is None:
        yield
        return
    token = otel_context.attach(own)
    try:
        yield
    finally:
        otel_context.detach(token)


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

    @property
    def context(self) -> Context:
        """The current context while the run is processed: the CONSUMER span."""
        return self._own_context

    def enter_message(self, index: int) -> Token[TraceHeaders | None]:
        """Handling message ``index`` begins: in a run of several, its handler span will
        continue the message's own trace (a run of one is the CONSUMER span's child)."""
        single = len(self._trace_headers) == 1
        return _MESSAGE_PARENT.set(None if single else self._trace_headers[index])

    @staticmethod
    def leave_message(token: Token[TraceHeaders | None]) -> None:
        _MESSAGE_PARENT.reset(token)

    def message_id(self, event_id: str) -> None:
        if len(self._trace_headers) == 1:
            self._span.set_attribute("messaging.message.id", event_id)

    @contextlib.contextmanager
    def handling_together(self, event_ids: Sequence[tuple[int, str]]) -> Iterator[TogetherSpans]:
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
        for index, event_id in event_ids:
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
        token = _RUN_MESSAGES.set(contexts)
        try:
            yield TogetherSpans(spans)
        finally:
            _RUN_MESSAGES.reset(token)
            for span in spans:
                span.end()

    def retried(self, attempt: int, reason: str) -> None:
        self._span.add_event("retry", {"attempt": attempt, "reason": reason})

    def dead_lettered(self, reason: str, attempts: int) -> None:
        self._span.add_event("dead-lettered", {"reason": reason, "attempts": attempts})
        self._span.set_status(Status(StatusCode.ERROR, "dead-lettered"))

    def end(self) -> None:
        self._span.end()


def start_process(
    system: str,
    destination: str,
    subscriber: str,
    trace_headers: Sequence[TraceHeaders | None],
) -> ProcessSpan | None:
    """Start the CONSUMER span of a run of messages, or None when tracing is off."""
    active = tracer()
    if active is None or not trace_headers:
        return None
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
