"""Notifications a user receives about their orders."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from user_service.domain.notification import MESSAGE_MAX_LENGTH, Notification, NotificationKind

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def test_a_rejected_order_notification_names_the_order_and_the_reason() -> None:
    user_id, order_id = uuid4(), uuid4()
    notification = Notification.order_rejected(user_id, order_id, "out of stock", NOW)
    assert notification.kind == "order_rejected"
    assert NotificationKind.ORDER_REJECTED.value == "order_rejected"
    assert (notification.user_id, notification.order_id) == (user_id, order_id)
    assert notification.message == f"Your order {order_id} was rejected: out of stock"


def test_a_long_reason_is_cut_to_what_the_column_holds() -> None:
    notification = Notification.order_rejected(uuid4(), uuid4(), "x" * 2000, NOW)
    assert len(notification.message) == MESSAGE_MAX_LENGTH
