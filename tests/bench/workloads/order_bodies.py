"""Realistic ``POST /orders`` bodies, encoded once so the load generator only sends bytes."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from uuid import UUID

ORDERS_PATH = "/orders"
_SKUS = [f"SKU-{n:05d}" for n in range(500)]


def order_body(rng: random.Random, user_id: str | None = None) -> bytes:
    """One to five lines, prices as decimal strings, a customer of its own unless given."""
    items = [
        {
            "sku": sku,
            "quantity": rng.randint(1, 5),
            "unit_price": str(Decimal(rng.randint(99, 19_999)) / 100),
        }
        for sku in rng.sample(_SKUS, k=rng.randint(1, 5))
    ]
    body = {
        "user_id": user_id or str(UUID(int=rng.getrandbits(128), version=4)),
        "currency": "EUR",
        "items": items,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def order_bodies(count: int, seed: int = 11) -> list[bytes]:
    rng = random.Random(seed)
    return [order_body(rng) for _ in range(count)]
