"""Request bodies of the HTTP API."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from user_service.domain.values import normalise_email, normalise_name


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
