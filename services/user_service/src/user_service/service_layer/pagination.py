"""Opaque keyset cursors: urlsafe base64 of the last item's (created_at, id)."""

from __future__ import annotations

import base64
from datetime import datetime
from uuid import UUID

from user_service.adapters.users_repository import PageKey

_SEPARATOR = "|"


class InvalidCursorError(ValueError):
    pass


def encode_cursor(key: PageKey) -> str:
    raw = f"{key.created_at.isoformat()}{_SEPARATOR}{key.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        created, separator, identifier = raw.partition(_SEPARATOR)
        created_at = datetime.fromisoformat(created)
        if not separator or created_at.tzinfo is None:
            raise ValueError("not a cursor this service issued")
        return PageKey(created_at, UUID(identifier))
    except ValueError:  # binascii and Unicode errors are ValueErrors too
        raise InvalidCursorError("malformed cursor: pass back a next_cursor unchanged") from None
