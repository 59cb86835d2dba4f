"""Keyset pages: cursors are opaque and round-trip exactly, anything else is refused, and
a page says whether another follows."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.db import InvalidCursorError, PageKey, decode_cursor, encode_cursor, page_of

KEY = PageKey(datetime(2026, 3, 1, 12, 0, 0, 5, tzinfo=UTC), uuid.uuid4())


@pytest.mark.parametrize(
    "created_at",
    [
        datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_a_cursor_round_trips_to_the_same_key(created_at: datetime) -> None:
    key = PageKey(created_at, uuid.uuid4())
    assert decode_cursor(encode_cursor(key)) == key


def test_a_cursor_is_url_safe_without_padding() -> None:
    cursor = encode_cursor(KEY)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "%%%",
        "not base64!",
        b64("no separator"),
        b64("2026-03-01T00:00:00+00:00"),
        b64(f"2026-03-01T12:00:00|{uuid.uuid4()}"),  # naive time
        b64("yesterday|" + str(uuid.uuid4())),
        b64("2026-03-01T12:00:00+00:00|not-a-uuid"),
        b64(f"2026-03-01T12:00:00+00:00|{uuid.uuid4()}|extra"),
        base64.urlsafe_b64encode(b"\xff\xfe|x").decode(),
    ],
)
def test_a_malformed_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError, match="malformed cursor"):
        decode_cursor(cursor)


def _key(index: int) -> PageKey:
    return PageKey(KEY.created_at + timedelta(seconds=index), KEY.id)


def test_a_page_with_one_more_found_than_asked_points_at_the_next() -> None:
    page = page_of([1, 2, 3], 2, _key)
    assert page.items == [1, 2]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor) == _key(2)


@pytest.mark.parametrize("found", [[], [1], [1, 2]])
def test_the_last_page_has_no_cursor(found: list[int]) -> None:
    page = page_of(found, 2, _key)
    assert (page.items, page.next_cursor) == (found, None)
