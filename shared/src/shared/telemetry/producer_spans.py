"""PRODUCER spans with the messaging semantic conventions.

A message that carries the context it was created in (an outbox row keeps its
request's context) gets its own PRODUCER span, a child of that context, so the trace
continues although the relay runs later. Messages published without one share one
PRODUCER span per call, a child of the caller's current span. Each message carries its
PRODUCER span's context in ``traceparent``/``tracestate`` headers; the CloudEvents
``traceparent`` extension keeps the creation context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from shared.telemetry.message_context import TraceHeaders
from shared.telemetry.trace_context import format_traceparent, format_tracestate, remote_context
from shared.telemetry.tracing import tracer


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
