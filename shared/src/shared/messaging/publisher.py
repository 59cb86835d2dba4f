"""The publisher base: ``publish`` and ``publish_many`` written once, over the one
method each publisher has of its own, ``publish_encoded``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from shared.envelope import Envelope
from shared.messaging.protocols import OutgoingMessage


class PublisherBase(ABC):
    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def publish(self, envelope: Envelope) -> None:
        await self.publish_many((envelope,))

    async def publish_many(self, envelopes: Sequence[Envelope]) -> None:
        await self.publish_encoded([OutgoingMessage.of(envelope) for envelope in envelopes])

    @abstractmethod
    async def publish_encoded(self, messages: Sequence[OutgoingMessage]) -> None:
        """Send already encoded messages: the relay's path, and what ``publish`` ends in."""
