"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from user_service.domain.notification import Notification
from user_service.domain.user import User, UserStatus
from user_service.domain.values import CENT, normalise_email, normalise_name
from user_service.service_layer.queries import UsersPage


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


class UserResponse(BaseModel):
    id: UUID
    email: str
    name: str
    status: UserStatus
    orders_count: int
    total_spent: dict[str, str] = Field(
        description="ISO 4217 currency code to the amount as a decimal string",
        examples=[{"EUR": "12.50"}],
    )
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserResponse:
        return cls(
            id=user.id,
            email=user.email,
            name=user.name,
            status=user.status,
            orders_count=user.orders_count,
            total_spent={
                currency: str(amount.quantize(CENT))
                for currency, amount in sorted(user.total_spent.items())
            },
            created_at=user.created_at,
        )


class UsersPageResponse(BaseModel):
    items: list[UserResponse]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )

    @classmethod
    def of(cls, page: UsersPage) -> UsersPageResponse:
        return cls(
            items=[UserResponse.of(user) for user in page.items], next_cursor=page.next_cursor
        )


class NotificationResponse(BaseModel):
    id: UUID
    kind: str
    message: str
    order_id: UUID | None
    created_at: datetime

    @classmethod
    def of(cls, notification: Notification) -> NotificationResponse:
        return cls(
            id=notification.id,
            kind=notification.kind,
            message=notification.message,
            order_id=notification.order_id,
            created_at=notification.created_at,
        )


class NotificationsResponse(BaseModel):
    items: list[NotificationResponse]
