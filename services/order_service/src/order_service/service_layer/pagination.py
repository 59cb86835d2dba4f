"""Opaque page cursors: urlsafe base64 of the last item's (created_at, id)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from uuid import UUID

from order_service.adapters.order_repository import PageKey
from order_service.service_layer.errors import InvalidCursorError

_SEPARATOR = "|"


def encode_cursor(key: PageKey) -> str:
    raw = f"{key.created_at.isoformat()}{_SEPARATOR}{key.order_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PageKey:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode()
        moment, order_id = raw.split(_SEPARATOR)
        key = PageKey(datetime.fromisoformat(moment), UUID(order_id))
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursorError("malformed cursor") from exc
    if key.created_at.tzinfo is None:
        raise InvalidCursorError("malformed cursor")
    return key
