"""Keyset cursors: opaque, round-tripping exactly, refusing what this service did not issue."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from user_service.adapters.users_repository import PageKey
from user_service.service_layer.pagination import (
    InvalidCursorError,
    decode_cursor,
    encode_cursor,
)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "created_at",
    [
        datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_cursor_round_trips_to_the_same_key(created_at: datetime) -> None:
    key = PageKey(created_at, uuid4())
    cursor = encode_cursor(key)
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor) == key


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "not-base64-at-all!",
        b64("2026-03-01T00:00:00+00:00"),
        b64(f"yesterday|{uuid4()}"),
        b64(f"2026-03-01T00:00:00|{uuid4()}"),
        b64("2026-03-01T00:00:00+00:00|not-a-uuid"),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="malformed cursor"):
        decode_cursor(cursor)
