"""Helpers the order-service integration tests share: outbox reads, row counts, bodies."""

from __future__ import annotations

import uuid
from typing import Any

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, decode


async def outbox_envelopes(pool: aiomysql.Pool) -> list[Envelope]:
    """Every outbox row, in insertion order, parsed back into its envelope."""
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall(
            "SELECT event_type, aggregate_id, payload FROM outbox ORDER BY id"
        )
    envelopes = []
    for event_type, aggregate_id, payload in rows:
        envelope = decode(payload.encode())
        assert (envelope.type, envelope.subject) == (event_type, aggregate_id)
        envelopes.append(envelope)
    return envelopes


async def count_rows(pool: aiomysql.Pool, table: str) -> int:
    assert table in {"orders", "order_items", "outbox", "customers"}
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user_id": str(uuid.uuid4()),
        "currency": "EUR",
        "items": [
            {"sku": "BOOK-1", "quantity": 2, "unit_price": "12.50"},
            {"sku": "PEN_2", "quantity": 3, "unit_price": 0.1},
        ],
    }
    body.update(overrides)
    return body
