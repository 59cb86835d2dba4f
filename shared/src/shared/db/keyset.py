"""Keyset pages: the key of an item is (created_at, id), and a page cursor is the
urlsafe base64 of the last item's key, opaque to clients."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

_SEPARATOR = "|"

_Item = TypeVar("_Item")


class InvalidCursorError(ValueError):
    """A page cursor that this service did not hand out."""


@dataclass(frozen=True, slots=True)
class PageKey:
    created_at: datetime
    id: UUID


def encode_cursor(key: PageKey) -> str:
    raw = f"{key.created_at.isoformat()}{_SEPARATOR}{key.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    """Raises InvalidCursorError for anything ``encode_cursor`` did not make."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
        created, separator, identifier = raw.partition(_SEPARATOR)
        created_at = datetime.fromisoformat(created)
        if not separator or created_at.tzinfo is None:
            raise ValueError("not a cursor this service issued")
        return PageKey(created_at, UUID(identifier))
    except ValueError:  # binascii and Unicode errors are ValueErrors too
        raise InvalidCursorError("malformed cursor: pass back a next_cursor unchanged") from None


@dataclass(frozen=True, slots=True)
class Page(Generic[_Item]):
    items: list[_Item]
    next_cursor: str | None


def page_of(found: Sequence[_Item], limit: int, key: Callable[[_Item], PageKey]) -> Page[_Item]:
    """The first ``limit`` of ``found``, which holds one more than asked when another
    page follows (so no COUNT is needed to know)."""
    items = list(found[:limit])
    if len(found) <= limit:
        return Page(items, None)
    return Page(items, encode_cursor(key(items[-1])))
