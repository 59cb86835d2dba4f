"""What a test may ask of a broker, whichever it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from cloudevents.core.base import BaseCloudEvent

from shared.messaging import Subscription
from shared.settings import BrokerKind, Settings
from tests.support.fault_proxy import FaultProxy


@dataclass(frozen=True)
class RawMessage:
    """A message as bytes and broker metadata; ``message_id`` is RabbitMQ's property,
    Kafka has no such thing."""

    body: bytes
    key: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    message_id: str | None = None


@dataclass(frozen=True)
class Tap:
    take: Callable[[int], Awaitable[list[RawMessage]]]


class RawSession(Protocol):
    """One connection held open for many raw publishes and dead-letter reads."""

    async def publish(self, event_type: str, bodies: Sequence[bytes], key: bytes) -> None:
        """Publish ``bodies`` in order under one key and wait until the broker has them."""

    async def new_dead_letters(self) -> list[RawMessage]:
        """The subscriber's dead letters that arrived since the last call."""


class BrokerHarness(Protocol):
    kind: ClassVar[BrokerKind]
    # RabbitMQ carries a message id property through dead-lettering; Kafka has none.
    carries_message_ids: ClassVar[bool]
    settings: Settings

    def with_batch_size(self, size: int) -> BrokerHarness:
        """The same broker fetching at most ``size`` messages at a time."""

    def through(self, address: str) -> BrokerHarness:
        """The same broker reached at another address (a fault proxy in front of it)."""

    def behind_fault_proxy(self) -> AbstractAsyncContextManager[tuple[BrokerHarness, FaultProxy]]:
        """The broker reached only through a fault proxy the test controls."""

    def subscription(self, event_type: str) -> Subscription:
        """A subscription with a name no other test uses, cleaned up with the harness."""

    async def provision(self, subscription: Subscription) -> None:
        """Create the subscription's topic or queue ahead of its consumer, as a deployment does."""

    async def publish_raw(self, event_type: str, message: RawMessage) -> None:
        """A message straight onto the event type's topic or routing key, as it is."""

    async def read_dead_letters(self, subscriber: str, count: int) -> list[RawMessage]:
        """Wait for ``count`` dead letters of the subscriber and return them."""

    def tap(self, event_type: str) -> AbstractAsyncContextManager[Tap]:
        """Observe what is published for an event type from now on, as raw bytes."""

    def raw_session(self, subscriber: str) -> AbstractAsyncContextManager[RawSession]:
        """A raw publisher and a reader of the subscriber's dead letters, held open."""

    def cloudevent(self, message: RawMessage) -> BaseCloudEvent:
        """The message as the CloudEvents SDK's binding for this broker reads it."""

    async def cleanup(self) -> None:
        """Delete what the harness's subscriptions declared on the broker."""
