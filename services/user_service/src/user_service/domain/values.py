"""Normalisation of the values a user is made of; raises ValueError with a reason."""

from __future__ import annotations

import re
from decimal import Decimal

# The same shape the user.registered event accepts, checked after normalising.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 200
CENT = Decimal("0.01")


def normalise_email(raw: str) -> str:
    """Trim and lower-case: two spellings of one address are one user."""
    email = raw.strip().lower()
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValueError(f"an email has at most {EMAIL_MAX_LENGTH} characters")
    if not _EMAIL.match(email):
        raise ValueError("not an email address: expected one '@' and no spaces")
    return email


def normalise_name(raw: str) -> str:
    name = raw.strip()
    if not name:
        raise ValueError("a name must not be blank")
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"a name has at most {NAME_MAX_LENGTH} characters")
    return name


def exact_amount(amount: Decimal) -> Decimal:
    """Money in cents, refusing anything a DECIMAL(14,2) column would round."""
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"amount {amount} is not a whole number of cents")
    return amount.quantize(CENT)
