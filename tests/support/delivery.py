"""Delivering an event to its subscriber's handler the way ``subscriber`` does: the
runner's own wiring (``inbox_handlers``: one unit of work, a processed_events
claim, one commit), on the caller's pool."""

from __future__ import annotations

from collections.abc import Callable

import aiomysql

from shared.envelope import Envelope, wrap
from shared.events import Event
from shared.settings import Settings, load_settings
from subscribers.catalog import subscriber_for
from subscribers.runner import inbox_handlers

PRODUCER = "urn:eda:test-producer"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def envelope_of(event: Event) -> Envelope:
    """A new message (its own id) carrying ``event``, with a trace context as the relay
    publishes it."""
    return wrap(event, source=PRODUCER, correlation_id="corr-1", traceparent=TRACEPARENT)


async def deliver(
    pool: aiomysql.Pool,
    message: Event | Envelope,
    *,
    settings: Settings | None = None,
    after_commit: Callable[[], None] | None = None,
) -> Envelope:
    """Handle one delivery of ``message`` (a bare event becomes a new message); the
    handlers are built from ``settings`` (default: the environment's), as at start-up.
    ``after_commit`` stands where the runner puts its relay's wake."""
    envelope = message if isinstance(message, Envelope) else envelope_of(message)
    subscriber = subscriber_for(envelope.type)
    settings = settings or load_settings(source=subscriber.source)
    handle, _ = inbox_handlers(subscriber, settings, pool, after_commit=after_commit or _nothing)
    await handle(envelope.event(), envelope)
    return envelope


def _nothing() -> None:
    return None
