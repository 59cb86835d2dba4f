"""What the users context has heard about one order.

order.confirmed and order.cancelled travel separately and arrive in any order, or
twice. The entry remembers both facts, so each changes the user's statistics at
most once and the result is the same whatever the order: an order counts while
it is confirmed and not cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from shared.events import Money
from user_service.domain.errors import ConflictingOrderFactsError


class CancelledFrom(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


@dataclass(eq=False, slots=True)
class OrderLedgerEntry:
    order_id: UUID
    user_id: UUID
    total: Money
    """What counting the order adds to the user's statistics."""
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_from: CancelledFrom | None = None

    @property
    def counted(self) -> bool:
        return self.confirmed_at is not None and self.cancelled_at is None

    def confirm(self, user_id: UUID, total: Money, at: datetime) -> bool:
        """Record the confirmation; True when the order has just started to count."""
        self._check_same_order(user_id, total)
        if self.cancelled_from is CancelledFrom.PENDING:
            raise self._conflict("was cancelled while pending, so it cannot have been confirmed")
        if self.confirmed_at is not None:
            return False
        self.confirmed_at = at
        return self.cancelled_at is None

    def cancel(
        self, user_id: UUID, total: Money, previous_status: CancelledFrom, at: datetime
    ) -> bool:
        """Record the cancellation; True when a counted order has just stopped counting."""
        self._check_same_order(user_id, total)
        if previous_status is CancelledFrom.PENDING and self.confirmed_at is not None:
            raise self._conflict("was confirmed, so it cannot have been cancelled while pending")
        if self.cancelled_from is not None:
            if self.cancelled_from is not previous_status:
                raise self._conflict(
                    f"was cancelled from {self.cancelled_from}, not from {previous_status}"
                )
            return False
        was_counted = self.counted
        self.cancelled_at, self.cancelled_from = at, previous_status
        return was_counted

    def _check_same_order(self, user_id: UUID, total: Money) -> None:
        if user_id != self.user_id:
            raise self._conflict(f"belongs to user {self.user_id}, not {user_id}")
        if total != self.total:
            raise self._conflict(
                f"totals {self.total.amount} {self.total.currency},"
                f" not {total.amount} {total.currency}"
            )

    def _conflict(self, what: str) -> ConflictingOrderFactsError:
        return ConflictingOrderFactsError(f"order {self.order_id} {what}")
