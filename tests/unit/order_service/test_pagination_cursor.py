"""Page cursors: opaque, round-trip exactly, and anything else is refused."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from order_service.adapters.order_repository import PageKey
from order_service.service_layer.errors import InvalidCursorError
from order_service.service_layer.pagination import decode_cursor, encode_cursor

KEY = PageKey(datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=UTC), uuid.uuid4())


def test_a_cursor_round_trips_to_the_same_key() -> None:
    assert decode_cursor(encode_cursor(KEY)) == KEY


def test_a_cursor_is_url_safe_without_padding() -> None:
    cursor = encode_cursor(KEY)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "not base64!",
        b64("no separator"),
        b64(f"2026-03-01T12:00:00|{uuid.uuid4()}"),  # naive time
        b64("yesterday|" + str(uuid.uuid4())),
        b64("2026-03-01T12:00:00+00:00|not-a-uuid"),
        b64(f"2026-03-01T12:00:00+00:00|{uuid.uuid4()}|extra"),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
    ],
)
def test_a_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor)
