"""What every use case needs from the outside, chosen once by the composition root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, wrap
from shared.events import Event


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class UseCaseContext:
    unit_of_work: Callable[[], UnitOfWork]
    """A new unit of work on the service's pool; its commit wakes the relay when it wrote
    outbox rows."""
    source: str
    """CloudEvents ``source`` of every event the use cases raise."""
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], UUID] = field(default=uuid4)

    def envelopes(self, events: Sequence[Event]) -> list[Envelope]:
        return [wrap(event, source=self.source) for event in events]
