"""A message for a user about something that happened to one of their orders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid4

MESSAGE_MAX_LENGTH = 1000


class NotificationKind(StrEnum):
    ORDER_REJECTED = "order_rejected"


@dataclass(frozen=True, slots=True)
class Notification:
    id: UUID
    user_id: UUID
    kind: str
    message: str
    order_id: UUID | None
    created_at: datetime

    @classmethod
    def order_rejected(
        cls, user_id: UUID, order_id: UUID, reason: str, now: datetime
    ) -> Notification:
        message = f"Your order {order_id} was rejected: {reason}"[:MESSAGE_MAX_LENGTH]
        return cls(uuid4(), user_id, NotificationKind.ORDER_REJECTED, message, order_id, now)
