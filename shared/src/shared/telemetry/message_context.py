"""The one channel between processing a message and the code its handler runs: which
message's trace a handler's span, and the events it writes, continue.

A run of several messages has one CONSUMER span, but each message keeps a trace of its
own. The consumer side (``consumer_spans``) says which message is being handled;
the handler side reads it: ``handler_spans.handler_span`` through ``message_parent``,
and the database's inbox through ``continuing_message`` when a batch handler takes one
event of its run on its own. Both values live in ContextVars, so they follow the
handler's task and nothing has to pass them down by hand; this module is the only
place they are set or read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token

from opentelemetry import context as otel_context
from opentelemetry.context import Context

from shared.telemetry.trace_context import remote_context

TraceHeaders = tuple[str, str | None]

_MESSAGE_PARENT: ContextVar[TraceHeaders | None] = ContextVar("eda_message_parent", default=None)
"""The trace headers of the message being handled in a run of several: its handler
span's parent. Kept as the raw headers and parsed only by a handler that traces."""

_RUN_MESSAGES: ContextVar[Mapping[str, Context] | None] = ContextVar(
    "eda_run_messages", default=None
)
"""While a batch handler takes a run of several messages in one call: each traced
message's event id and the context of its own CONSUMER span."""


def message_parent() -> Context | None:
    """The context a handler span should continue: the PRODUCER context of the message
    being handled in a run of several, else None (the current context)."""
    headers = _MESSAGE_PARENT.get()
    return remote_context(headers[0], headers[1]) if headers is not None else None


def entering_message(headers: TraceHeaders | None) -> Token[TraceHeaders | None]:
    """Handling a message of a run begins; ``headers`` None for a run of one, whose
    handler continues the CONSUMER span itself."""
    return _MESSAGE_PARENT.set(headers)


def leaving_message(token: Token[TraceHeaders | None]) -> None:
    _MESSAGE_PARENT.reset(token)


@contextlib.contextmanager
def handled_together(contexts: Mapping[str, Context]) -> Iterator[None]:
    """While a batch handler takes a run in one call: each message's own context."""
    token = _RUN_MESSAGES.set(contexts)
    try:
        yield
    finally:
        _RUN_MESSAGES.reset(token)


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
