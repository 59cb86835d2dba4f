"""Realistic ``order.placed`` envelopes, and the plain documents a raw client would send."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from uuid import uuid4

from shared.envelope import Envelope, wrap
from shared.events import Money, OrderLine, OrderPlacedV1
from shared.messaging import Publisher

SOURCE = "urn:eda:bench:orders"
EVENT_TYPE = OrderPlacedV1.event_type
T = TypeVar("T")
_CATALOGUE = [(f"SKU-{n:05d}", Decimal(f"{n % 90 + 9}.{n % 100:02d}")) for n in range(200)]


def order_placed(rng: random.Random) -> OrderPlacedV1:
    lines = [
        OrderLine(
            sku=sku, quantity=rng.randint(1, 5), unit_price=Money(amount=price, currency="EUR")
        )
        for sku, price in rng.sample(_CATALOGUE, k=rng.randint(1, 5))
    ]
    total = sum((line.unit_price.amount * line.quantity for line in lines), start=Decimal(0))
    return OrderPlacedV1(
        order_id=uuid4(),
        user_id=uuid4(),
        items=lines,
        total=Money(amount=total, currency="EUR"),
        placed_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**7)),
    )


def order_placed_envelopes(count: int, seed: int = 7) -> list[Envelope]:
    rng = random.Random(seed)
    return [
        wrap(
            order_placed(rng),
            source=SOURCE,
            traceparent=f"00-{uuid4().hex}-{uuid4().hex[:16]}-01",
        )
        for _ in range(count)
    ]


def as_documents(envelopes: list[Envelope]) -> list[dict[str, Any]]:
    """What a raw client holds before serialising: the envelope as a JSON-ready dict."""
    return [envelope.model_dump(mode="json", exclude_none=True) for envelope in envelopes]


def warm_up_and_timed(
    envelopes: list[Envelope], chunk: int, count: int | None = None
) -> tuple[list[Envelope], list[Envelope]]:
    """The first ``chunk`` envelopes, published untimed, and the ``count`` after them
    (by default all the rest), timed."""
    end = None if count is None else chunk + count
    return envelopes[:chunk], envelopes[chunk:end]


def chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def publish_in_chunks(publisher: Publisher, envelopes: list[Envelope], size: int) -> None:
    """Start ``publisher``, publish ``envelopes`` ``size`` at a time, close it."""
    await publisher.start()
    try:
        for chunk in chunks(envelopes, size):
            await publisher.publish_many(chunk)
    finally:
        await publisher.close()
