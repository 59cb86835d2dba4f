"""Compare what reached a topic or queue with the outbox rows it should hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.envelope import Envelope


@dataclass(frozen=True, slots=True)
class Delivered:
    subject: str
    event_id: str


@dataclass(frozen=True, slots=True)
class Audit:
    rows: int
    delivered: int
    duplicates: int
    """Messages beyond the first for an event id that was a row."""
    missing: int
    """Rows whose event id never arrived."""
    foreign: int
    """Messages that were not rows (the relays' warm-up messages)."""
    out_of_order: int
    """Messages that arrived after a later row of the same aggregate."""

    def describe(self) -> str:
        return (
            f"{self.delivered} messages for {self.rows} rows: {self.duplicates} duplicates,"
            f" {self.missing} missing, {self.out_of_order} out of order, {self.foreign} warm-up"
        )


def audit(rows: Sequence[Envelope], delivered: Sequence[Delivered]) -> Audit:
    """``rows`` in outbox id order; ``delivered`` in arrival order within each aggregate."""
    position = {envelope.id: index for index, envelope in enumerate(rows)}
    seen: set[str] = set()
    latest: dict[str, int] = {}
    duplicates = foreign = out_of_order = 0
    for message in delivered:
        index = position.get(message.event_id)
        if index is None:
            foreign += 1
            continue
        if message.event_id in seen:
            duplicates += 1
            continue
        seen.add(message.event_id)
        if index < latest.get(message.subject, -1):
            out_of_order += 1
        latest[message.subject] = max(index, latest.get(message.subject, -1))
    return Audit(
        rows=len(rows),
        delivered=len(delivered),
        duplicates=duplicates,
        missing=len(rows) - len(seen),
        foreign=foreign,
        out_of_order=out_of_order,
    )
