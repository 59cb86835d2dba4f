"""One line of an order and the money rules every amount follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from order_service.domain.errors import InvalidOrderError

CENT = Decimal("0.01")
# DECIMAL(14,2) in the database and the events' Amount: twelve digits before the point.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = 10_000
SKU = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def to_amount(value: Decimal) -> Decimal:
    """Two decimal places exactly; refuses what would need rounding, negatives and NaN."""
    if not value.is_finite():
        raise InvalidOrderError(f"amount {value} is not a finite number")
    # Adding zero turns a "-0" into "0" so no amount is ever printed as "-0.00".
    amount = (value + Decimal(0)).quantize(CENT)
    if amount != value:
        raise InvalidOrderError(f"amount {value} has more than two decimal places")
    if not Decimal(0) <= amount <= MAX_AMOUNT:
        raise InvalidOrderError(f"amount {value} is outside 0..{MAX_AMOUNT}")
    return amount


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal

    def __post_init__(self) -> None:
        if not SKU.match(self.sku):
            raise InvalidOrderError(f"sku {self.sku!r} must be 1-64 letters, digits, '.', '_', '-'")
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidOrderError(f"quantity {self.quantity} is outside 1..{MAX_QUANTITY}")
        object.__setattr__(self, "unit_price", to_amount(self.unit_price))

    @property
    def subtotal(self) -> Decimal:
        return self.unit_price * self.quantity
