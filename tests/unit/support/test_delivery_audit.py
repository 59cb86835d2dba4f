"""The audit of what a broker delivered against the outbox rows: duplicates, losses,
foreign messages and an aggregate out of order."""

from __future__ import annotations

from tests.support.delivery_audit import Delivered, audit
from tests.support.outbox_data import outbox_events


def test_audit_counts_duplicates_losses_order_and_foreign_messages() -> None:
    rows = outbox_events(4, aggregates=2, seed=1)  # aggregates alternate: a, b, a, b
    first, second, third, _fourth = rows
    delivered = [
        Delivered(first.subject, first.id),
        Delivered("warm-up", "not-a-row"),
        Delivered(third.subject, third.id),
        Delivered(first.subject, first.id),  # again
        Delivered(second.subject, second.id),
    ]
    result = audit(rows, delivered)
    assert (result.duplicates, result.missing, result.foreign, result.out_of_order) == (1, 1, 1, 0)


def test_audit_sees_an_aggregate_out_of_order() -> None:
    rows = outbox_events(3, aggregates=1, seed=2)
    delivered = [Delivered(row.subject, row.id) for row in (rows[0], rows[2], rows[1])]
    assert audit(rows, delivered).out_of_order == 1
