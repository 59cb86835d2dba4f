"""What every use case needs from the composition root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, wrap
from shared.events import Event


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ServiceContext:
    unit_of_work: Callable[[], UnitOfWork]
    source: str
    """CloudEvents ``source`` of every event this service raises."""
    wake_relay: Callable[[], None]
    clock: Callable[[], datetime] = utc_now

    def envelopes(
        self, events: Sequence[Event], correlation_id: str | None = None
    ) -> list[Envelope]:
        return [wrap(event, source=self.source, correlation_id=correlation_id) for event in events]
