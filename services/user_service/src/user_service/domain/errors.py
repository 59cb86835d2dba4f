"""What can go wrong in the users context, independent of how a caller is told."""

from __future__ import annotations

from uuid import UUID


class UserNotFoundError(LookupError):
    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id} not found")
        self.user_id = user_id


class UserConflictError(Exception):
    """The request contradicts the user's current state; repeating it will not help."""


class EmailAlreadyRegisteredError(UserConflictError):
    def __init__(self, email: str) -> None:
        super().__init__(f"a user with email {email!r} is already registered")
        self.email = email


class IdentityAlreadyRegisteredError(UserConflictError):
    def __init__(self) -> None:
        # Neither the identity nor the user it belongs to: the caller knows the first, and
        # only an admin may be told the second.
        super().__init__(
            "a user is already registered for this identity (the token's issuer and subject)"
        )


class UserAlreadyDeactivatedError(UserConflictError):
    def __init__(self, user_id: UUID) -> None:
        super().__init__(f"user {user_id} is already deactivated")
        self.user_id = user_id


class InvalidIdentityError(ValueError):
    """An identity that cannot be kept (a blank subject, a part longer than the columns)."""


class OrderStatsError(ValueError):
    """A statistics update would break an invariant (a negative count or amount)."""


class ConflictingOrderFactsError(ValueError):
    """Two facts about one order contradict each other (another user or total, a cancellation
    from pending of a confirmed order): counting either would make the statistics wrong."""
