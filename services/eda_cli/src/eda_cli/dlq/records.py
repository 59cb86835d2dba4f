"""A dead-lettered message as the tool shows it, whichever broker holds it.

The reason, attempts, origin, event type and time come from the ``x-dead-letter-*``
headers the shared consumers write; a message the RabbitMQ broker dead-lettered
itself (a quorum queue's delivery limit) has none of them, only ``x-death``, and
the same fields are read from there.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.messaging import dead_letter_record as record

X_DEATH = "x-death"
_PLAIN_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: str
    """Kafka ``partition:offset``; RabbitMQ the CloudEvents id, else the message id
    (aio-pika gives every message it publishes one), else ``sha-`` and a digest of
    the body."""
    body: bytes
    key: bytes | None
    headers: Mapping[str, str]
    """Every header as text, for ``show``."""
    reason: str
    attempts: int | None
    origin: str | None
    event_type: str | None
    failed_at: str | None
    event_id: str | None
    """The CloudEvents id, when the body is a JSON object carrying one."""
    content_type: str | None = None

    @property
    def envelope(self) -> dict[str, Any] | None:
        return json_object(self.body)

    @property
    def sha256(self) -> str:
        """The body's digest, hex: what the audit record and the replay preview name."""
        return hashlib.sha256(self.body).hexdigest()

    @property
    def source(self) -> str | None:
        """The envelope's ``source``, as the body claims it (nothing checks it here)."""
        return _text_field(self.envelope, "source")


def dead_letter(
    letter_id: str,
    body: bytes,
    key: bytes | None,
    headers: Mapping[str, object],
    content_type: str | None = None,
) -> DeadLetter:
    """Read the dead-letter fields out of a message's headers (and ``x-death``)."""
    text = {name: header_text(value) for name, value in headers.items()}
    death = _first_death(headers.get(X_DEATH))
    envelope = json_object(body)
    return DeadLetter(
        id=letter_id,
        body=body,
        key=key,
        headers=text,
        reason=text.get(record.REASON) or _death_reason(death),
        attempts=_int(text.get(record.ATTEMPTS)),
        origin=text.get(record.ORIGIN) or _death_origin(death),
        event_type=text.get(record.EVENT_TYPE)
        or _death_routing_key(death)
        or _text_field(envelope, "type"),
        failed_at=text.get(record.FAILED_AT) or _death_time(death),
        event_id=_text_field(envelope, "id"),
        content_type=content_type,
    )


def stable_id(body: bytes, message_id: str | None) -> str:
    """An id that stays the same however often the message is read: the CloudEvents
    id, else the message id, else a digest of the bytes."""
    for candidate in (_text_field(json_object(body), "id"), message_id):
        if candidate is not None and _PLAIN_ID.match(candidate):
            return candidate
    return "sha-" + hashlib.sha256(body).hexdigest()[:12]


def json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def header_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(item, Mapping) for item in value):
        return "; ".join(_death_text(item) for item in value)
    return str(value)


def _death_text(death: Mapping[str, object]) -> str:
    return ", ".join(f"{name}={header_text(value)}" for name, value in death.items())


def _first_death(value: object) -> Mapping[str, object] | None:
    """The most recent entry of ``x-death`` (the broker puts it first)."""
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return value[0]
    return None


def _death_reason(death: Mapping[str, object] | None) -> str:
    if death is None:
        return "unknown (no x-dead-letter-reason or x-death header)"
    cause = header_text(death.get("reason", "unknown"))
    queue = header_text(death.get("queue", "?"))
    if cause == "delivery_limit":
        return f"broker: delivered more often than the delivery limit of queue {queue}"
    return f"broker: {cause} in queue {queue}"


def _death_origin(death: Mapping[str, object] | None) -> str | None:
    if death is None:
        return None
    exchange = header_text(death.get("exchange", ""))
    return f"{exchange}/{_death_routing_key(death) or ''}"


def _death_routing_key(death: Mapping[str, object] | None) -> str | None:
    keys = death.get("routing-keys") if death is not None else None
    if isinstance(keys, list) and keys:
        return header_text(keys[0])
    return None


def _death_time(death: Mapping[str, object] | None) -> str | None:
    time = death.get("time") if death is not None else None
    return header_text(time) if time is not None else None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _text_field(document: Mapping[str, Any] | None, name: str) -> str | None:
    value = document.get(name) if document is not None else None
    return value if isinstance(value, str) and value else None
