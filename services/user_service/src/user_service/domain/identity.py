"""Who a user is at their identity provider: the ``(issuer, subject)`` of the token that
registered them. The user-service alone keeps the raw pair; other services get its key."""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity import identity_key
from user_service.domain.errors import InvalidIdentityError

# Far above real values (Entra ID's oid is a GUID, Auth0's "auth0|" plus 24 hex digits);
# the columns hold this much.
IDENTITY_PART_MAX_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class Identity:
    issuer: str
    subject: str

    def __post_init__(self) -> None:
        for part, value in (("issuer", self.issuer), ("subject", self.subject)):
            if _has_lone_surrogate(value):
                raise InvalidIdentityError(f"an identity's {part} is not valid Unicode text")
            if len(value) > IDENTITY_PART_MAX_LENGTH:
                raise InvalidIdentityError(
                    f"an identity's {part} has at most {IDENTITY_PART_MAX_LENGTH} characters"
                )
        if not self.subject.strip():
            raise InvalidIdentityError("an identity's subject must not be blank")

    @property
    def key(self) -> str:
        return identity_key(self.issuer, self.subject)


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
