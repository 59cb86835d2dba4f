"""Response bodies of the HTTP API: amounts are decimal strings, times are UTC."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from shared.db import Page
from user_service.domain.notification import Notification
from user_service.domain.user import User, UserStatus
from user_service.domain.values import CENT


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
    def of(cls, page: Page[User]) -> UsersPageResponse:
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
        return cls.model_validate(notification, from_attributes=True)


class NotificationsResponse(BaseModel):
    items: list[NotificationResponse]
