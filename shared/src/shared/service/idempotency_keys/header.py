"""The header itself: its name, what a key may be, and the request's fingerprint."""

from __future__ import annotations

import hashlib
import re

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
"""Set to ``true`` on an answer that is the stored response of an earlier request."""
MAX_KEY_LENGTH = 255
KEY_PATTERN = r"^[\x20-\x7E]{1,255}$"
_PRINTABLE_ASCII = re.compile(KEY_PATTERN)


class InvalidKeyError(ValueError):
    pass


def parse_key(raw: bytes) -> str:
    """The key of an ``Idempotency-Key`` value: a structured-field string (``"..."``, as
    the IETF draft writes it) or the bare key most clients send."""
    try:
        value = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY} must be printable ASCII") from None
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r"\\([\\\"])", r"\1", value[1:-1])
    if not value:
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY} must not be empty")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY} must be at most {MAX_KEY_LENGTH} characters")
    if not _PRINTABLE_ASCII.match(value):
        raise InvalidKeyError(f"{IDEMPOTENCY_KEY} must be printable ASCII")
    return value


def fingerprint(method: str, path: str, query: bytes, caller: str, body: bytes) -> str:
    """What makes two requests the same request: method, target, caller and body bytes."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query, caller.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguous joins
        digest.update(part)
    return digest.hexdigest()
