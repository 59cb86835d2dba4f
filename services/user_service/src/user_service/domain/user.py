"""The user aggregate: registration, deactivation and order statistics.

A change that raises an event returns the changed user together with that event, and
the caller persists both in one transaction, as the order aggregate does."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from shared.events import Money, UserDeactivatedV1, UserRegisteredV1
from user_service.domain.errors import OrderStatsError, UserAlreadyDeactivatedError
from user_service.domain.identity import Identity
from user_service.domain.values import exact_amount, normalise_email, normalise_name


class UserStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@dataclass(eq=False)
class User:
    id: UUID
    email: str
    name: str
    status: UserStatus
    created_at: datetime
    orders_count: int = 0
    # Only currencies with spend above zero: a counted and then cancelled order leaves
    # what a cancellation that overtook its confirmation leaves, nothing.
    total_spent: dict[str, Decimal] = field(default_factory=dict)
    # Net change per currency since loading: the repository adds it to what is stored.
    spend_changes: dict[str, Decimal] = field(default_factory=dict, repr=False)
    # Who may act as this user (decision 30); None: only admins may.
    identity: Identity | None = field(default=None, repr=False)

    @classmethod
    def register(
        cls,
        email: str,
        name: str,
        now: datetime,
        user_id: UUID | None = None,
        identity: Identity | None = None,
    ) -> tuple[User, UserRegisteredV1]:
        if now.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        user = cls(
            id=user_id if user_id is not None else uuid4(),
            email=normalise_email(email),
            name=normalise_name(name),
            status=UserStatus.ACTIVE,
            created_at=now,
            identity=identity,
        )
        event = UserRegisteredV1(
            user_id=user.id,
            email=user.email,
            name=user.name,
            registered_at=now,
            identity_key=user.identity_key,
        )
        return user, event

    @property
    def identity_key(self) -> str | None:
        return self.identity.key if self.identity is not None else None

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    def deactivate(self, now: datetime) -> tuple[User, UserDeactivatedV1]:
        if not self.is_active:
            raise UserAlreadyDeactivatedError(self.id)
        self.status = UserStatus.DEACTIVATED
        return self, UserDeactivatedV1(user_id=self.id, deactivated_at=now)

    def record_confirmed_order(self, total: Money) -> None:
        """Count a confirmed order and add its total; a deactivated user's late orders count too."""
        amount = exact_amount(total.amount)
        self.orders_count += 1
        self._change_spent(total.currency, amount)

    def reverse_confirmed_order(self, total: Money) -> None:
        """Undo ``record_confirmed_order`` (a confirmed order was cancelled)."""
        amount = exact_amount(total.amount)
        if self.orders_count == 0:
            raise OrderStatsError(f"user {self.id} has no counted order to reverse")
        remaining = self.spent_in(total.currency) - amount
        if remaining < 0:
            raise OrderStatsError(
                f"user {self.id} has spent {self.spent_in(total.currency)} {total.currency},"
                f" less than the {amount} to reverse"
            )
        self.orders_count -= 1
        self._change_spent(total.currency, -amount)

    def spent_in(self, currency: str) -> Decimal:
        return self.total_spent.get(currency, Decimal("0.00"))

    def _change_spent(self, currency: str, change: Decimal) -> None:
        spent = self.spent_in(currency) + change
        if spent:
            self.total_spent[currency] = spent
        else:
            self.total_spent.pop(currency, None)
        self.spend_changes[currency] = self.spend_changes.get(currency, Decimal(0)) + change


@dataclass
class ConfirmedOrdersTally:
    """What confirmed orders add to their users' statistics, exactly what
    ``User.record_confirmed_order`` adds for each: written for a run of orders at once,
    onto locked users, without loading them (additions need nothing from the user)."""

    orders: Counter[UUID] = field(default_factory=Counter)
    spent: dict[tuple[UUID, str], Decimal] = field(default_factory=dict)

    def add(self, user_id: UUID, total: Money) -> None:
        amount = exact_amount(total.amount)
        self.orders[user_id] += 1
        if amount:  # a free order adds no currency: a user holds no zero amounts
            key = (user_id, total.currency)
            self.spent[key] = self.spent.get(key, Decimal(0)) + amount
