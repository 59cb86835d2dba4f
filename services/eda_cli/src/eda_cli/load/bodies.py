"""Request bodies: a user to register, an order for one of the registered users."""

from __future__ import annotations

import random
from typing import Any

SKUS = ("BOOK-1", "PEN-2", "MUG-3", "LAMP-4", "DESK-5", "CHAIR-6")


def user(run: str, number: int) -> dict[str, str]:
    # The run's tag keeps emails unique across runs against the same system.
    return {"email": f"load-{run}-{number}@example.com", "name": f"Load Customer {number}"}


def order(rng: random.Random, user_id: str) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "currency": "EUR",
        "items": [
            {
                "sku": sku,
                "quantity": rng.randint(1, 5),
                "unit_price": f"{rng.randint(50, 5_000) / 100:.2f}",
            }
            for sku in rng.sample(SKUS, rng.randint(1, 3))
        ],
    }
