"""Events raised by the users context."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, Field

from shared.events.base import Event
from shared.events.registry import register
from shared.identity import IDENTITY_KEY_PATTERN

Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
IdentityKey = Annotated[
    str,
    Field(
        pattern=IDENTITY_KEY_PATTERN,
        description="shared.identity.identity_key of the (issuer, subject) the user was"
        " registered by at their identity provider; absent for a user registered by an"
        " admin for nobody in particular, or before identities were recorded",
    ),
]


@register
class UserRegisteredV1(Event):
    event_type = "user.registered"
    version = 1

    user_id: UUID
    email: Email
    name: Annotated[str, Field(min_length=1, max_length=200)]
    registered_at: AwareDatetime
    # Added within version 1 (optional, so compatible): the raw subject stays in the
    # user-service; consumers compare keys (decision 30).
    identity_key: IdentityKey | None = None

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)


@register
class UserDeactivatedV1(Event):
    event_type = "user.deactivated"
    version = 1

    user_id: UUID
    deactivated_at: AwareDatetime

    @property
    def aggregate_id(self) -> str:
        return str(self.user_id)
