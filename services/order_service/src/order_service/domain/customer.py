"""The customer projection: what the orders context knows of a user.

Facts about a user (registered, deactivated) arrive in any order and may arrive
twice. Users are never re-activated, so a customer is active only while no fact
says otherwise, and merging facts gives the same customer in any order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from order_service.domain.errors import InvalidCustomerError


@dataclass(frozen=True, slots=True)
class Customer:
    user_id: UUID
    # None while only the deactivation has been seen: the email comes with the registration.
    email: str | None
    active: bool
    updated_at: datetime
    # Who may act as this customer (decision 30): shared.identity's key of the identity
    # the user registered with, from user.registered. None: admins only.
    identity_key: str | None = None

    def __post_init__(self) -> None:
        if self.updated_at.tzinfo is None:
            raise InvalidCustomerError("customer times must be timezone-aware")

    @classmethod
    def registered(
        cls, user_id: UUID, email: str, *, at: datetime, identity_key: str | None = None
    ) -> Customer:
        return cls(user_id, email, active=True, updated_at=at, identity_key=identity_key)

    @classmethod
    def deactivated(cls, user_id: UUID, *, at: datetime) -> Customer:
        return cls(user_id, None, active=False, updated_at=at)

    def merged_with(self, fact: Customer) -> Customer:
        """This customer after learning ``fact`` about the same user; itself if nothing changed."""
        if fact.user_id != self.user_id:
            raise InvalidCustomerError(f"a fact about {fact.user_id} is not about {self.user_id}")
        email = fact.email if fact.email is not None else self.email
        active = self.active and fact.active
        # Only a registration carries it, and a user's identity never changes.
        identity_key = fact.identity_key if fact.identity_key is not None else self.identity_key
        if (email, active, identity_key) == (self.email, self.active, self.identity_key):
            return self
        return replace(
            self,
            email=email,
            active=active,
            identity_key=identity_key,
            updated_at=max(self.updated_at, fact.updated_at),
        )
