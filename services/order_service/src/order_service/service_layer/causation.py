"""Where a reaction's events come from: the event that caused them.

Events written while handling another event keep its correlation id and trace
context and name it as their cause, so a flow can be followed across services.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.envelope import Envelope, wrap
from shared.events import Event


@dataclass(frozen=True, slots=True)
class Causation:
    source: str
    correlation_id: str | None = None
    causation_id: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None

    @classmethod
    def of(cls, cause: Envelope, *, source: str) -> Causation:
        """For events this service (``source``) raises in reaction to ``cause``."""
        return cls(
            source=source,
            correlation_id=cause.correlationid,
            causation_id=cause.id,
            traceparent=cause.traceparent,
            tracestate=cause.tracestate,
        )

    def wrap(self, event: Event) -> Envelope:
        return wrap(
            event,
            source=self.source,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            traceparent=self.traceparent,
            tracestate=self.tracestate,
        )
