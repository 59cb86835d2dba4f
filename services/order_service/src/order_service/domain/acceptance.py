"""Whether a placed order is accepted, decided from the customer projection alone.

The order.placed event can overtake the user.registered of its customer (other
topic, other subscriber). An unknown customer is therefore waited for, but only
for a bounded time after the order was placed; then the order is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from order_service.domain.customer import Customer

CUSTOMER_INACTIVE = "customer inactive"
UNKNOWN_CUSTOMER = "unknown customer"


@dataclass(frozen=True, slots=True)
class Accept:
    pass


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str


@dataclass(frozen=True, slots=True)
class WaitForCustomer:
    """Ask again later: the customer may still be registered."""

    remaining: timedelta


Verdict = Accept | Reject | WaitForCustomer


def judge_placed_order(
    customer: Customer | None, *, placed_at: datetime, now: datetime, wait: timedelta
) -> Verdict:
    """``placed_at`` is when the event was raised; ``wait`` is how long to wait from then."""
    if customer is not None:
        return Accept() if customer.active else Reject(CUSTOMER_INACTIVE)
    remaining = placed_at + wait - now
    if remaining > timedelta(0):
        return WaitForCustomer(remaining)
    return Reject(UNKNOWN_CUSTOMER)
