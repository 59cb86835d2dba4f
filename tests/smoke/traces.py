"""What the smoke test asks of one order's trace, wherever its spans come from
(Jaeger's query API on a cluster, the test collector under `make run`): it holds
spans of order-service and of both subscribers the order passes through, and every
span's parent is in it but for the caller's own span, so no process cut it."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

# The order's path: POST /orders, order.placed confirmed by its subscriber,
# order.confirmed counted in the user's stats by the next one.
SERVICES = frozenset({"order-service", "orders.order-placed", "users.order-confirmed"})


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    span_id: str
    parent_id: str | None


@dataclass(frozen=True)
class TraceContext:
    """The caller's side of a traced request: its trace and span ids as `traceparent`."""

    trace_id: str
    span_id: str

    @classmethod
    def new(cls) -> TraceContext:
        return cls(secrets.token_hex(16), secrets.token_hex(8))

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-01"


def problems(spans: list[Span], caller: TraceContext) -> list[str]:
    """What is wrong with the trace; empty when it is whole."""
    found = []
    services = {span.service for span in spans}
    if missing := SERVICES - services:
        found.append(f"no spans of {sorted(missing)} (spans of {sorted(services)})")
    ids = {span.span_id for span in spans} | {caller.span_id}
    orphans = [s for s in spans if s.parent_id is not None and s.parent_id not in ids]
    if orphans:
        found.append(f"{len(orphans)} spans whose parent is missing, e.g. {orphans[0]}")
    if not any(s.parent_id == caller.span_id and s.service == "order-service" for s in spans):
        found.append("no order-service span is a child of the caller's span")
    return found
