"""Request bodies of the HTTP API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from user_service.domain.identity import IDENTITY_PART_MAX_LENGTH, Identity
from user_service.domain.values import normalise_email, normalise_name

IdentityPart = Annotated[str, Field(min_length=1, max_length=IDENTITY_PART_MAX_LENGTH)]


class IdentityRequest(BaseModel):
    """An identity at an identity provider, as its tokens carry it."""

    model_config = ConfigDict(extra="forbid")

    issuer: Annotated[IdentityPart, Field(examples=["https://login.example.com/"])]
    subject: Annotated[
        IdentityPart,
        Field(
            pattern=r"\S",
            description="the value of the claim EDA_AUTH__SUBJECT_CLAIM names (`sub` by default)",
            examples=["auth0|5f7c8ec7c33c6c004bbafe82"],
        ),
    ]

    def to_identity(self) -> Identity:
        return Identity(self.issuer, self.subject)


class RegisterUserRequest(BaseModel):
    # Raw bounds leave room for surrounding spaces; the validators check the trimmed value.
    email: Annotated[
        str,
        Field(min_length=1, max_length=320, examples=["ada@example.com"]),
        AfterValidator(normalise_email),
    ]
    name: Annotated[
        str,
        Field(min_length=1, max_length=300, examples=["Ada Lovelace"]),
        AfterValidator(normalise_name),
    ]
    identity: IdentityRequest | None = Field(
        default=None,
        description="Admins only: the identity the new user will act as. Without it, a"
        " caller's own registration binds the caller's identity, and an admin's binds none.",
    )
