"""Messages as a consumer hands them to the ``MessageProcessor``, the subscription they
arrive on and retry settings short enough for a test."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from shared.envelope import encode, wrap
from shared.events import Money, OrderConfirmedV1
from shared.messaging import IncomingMessage, Subscription
from shared.settings import RetrySettings

SUBSCRIPTION = Subscription("users.order-confirmed", "order.confirmed")
FAST_RETRY = RetrySettings(max_attempts=3, initial_backoff_s=0.001, max_backoff_s=0.004)


def message(body: bytes) -> IncomingMessage:
    return IncomingMessage(body=body, key=b"k", origin="order.confirmed/0@1")


def confirmed_message() -> IncomingMessage:
    event = OrderConfirmedV1(
        order_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        total=Money(amount=Decimal("3.00"), currency="EUR"),
        confirmed_at=datetime.now(UTC),
    )
    return message(encode(wrap(event, source="urn:test")))
