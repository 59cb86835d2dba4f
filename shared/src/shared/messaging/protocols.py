"""The broker-neutral interface every adapter implements."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.envelope import Envelope, encode
from shared.events.base import Event

_SUBSCRIBER_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")

Handler = Callable[[Event, Envelope], Awaitable[None]]
BatchHandler = Callable[[Sequence[tuple[Event, Envelope]]], Awaitable[None]]
"""Handles a run of parsed events, in order, all or none: on failure the processor
hands each of them to the per-message ``Handler`` instead."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """One subscriber reacting to one event type; its name names the group or queue."""

    subscriber: str
    event_type: str
    source: str | None = None
    """The only CloudEvents ``source`` accepted (its type's producer); an event from any
    other is dead-lettered. None accepts any: for tools and tests, never a subscriber."""

    def __post_init__(self) -> None:
        if not _SUBSCRIBER_NAME.match(self.subscriber):
            raise ValueError(
                f"subscriber name {self.subscriber!r} must be 1-120 lowercase letters, "
                "digits, '.', '_' or '-'"
            )


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A message as taken off a broker, before any parsing."""

    body: bytes
    key: bytes | None
    origin: str
    """Where it came from, for dead-letter records: ``topic/partition@offset`` or the queue."""
    trace_headers: tuple[str, str | None] | None = None
    """``traceparent`` and ``tracestate`` headers; read only while tracing is on."""
    raw: Any = None
    """The broker's own message (a Kafka record, an aio-pika delivery), untouched: a
    dead letter copies its content type and trace headers from it, so that a replay
    continues the original trace."""


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """An envelope already encoded (the outbox stores it so): published without re-encoding."""

    event_id: str
    event_type: str
    key: str
    body: bytes
    traceparent: str | None = None
    """The context the event was created in (the outbox keeps it): the PRODUCER
    span's parent. None: the publisher's current context."""
    tracestate: str | None = None

    @classmethod
    def of(cls, envelope: Envelope) -> OutgoingMessage:
        return cls(envelope.id, envelope.type, envelope.subject, encode(envelope))


class DeadLetterSink(Protocol):
    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        """Store the original bytes with the reason; return only once the broker confirmed."""


class Publisher(Protocol):
    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None:
        """Return once the broker has confirmed the message durable."""

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        """Pipeline the messages in order; return once all are confirmed."""

    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        """``publish_many`` for envelopes encoded earlier."""


class Consumer(Protocol):
    async def run(self) -> None:
        """Consume until ``stop`` is called, then finish in-flight work, acknowledge, close."""

    def stop(self) -> None: ...

    @property
    def ready(self) -> bool:
        """True once subscribed and consuming."""
