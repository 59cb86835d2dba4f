"""The audit record of ``eda dlq``: who listed, showed, replayed or purged which dead
letters, when, and with what outcome (decision 0028).

An entry is one JSON document, appended to ``<prefix>eda.dlq.audit`` on the broker of
the subscriber acted on (``audit_kafka``, ``audit_rabbitmq``). Entries are written
before the action's effect: an entry that cannot be written stops the action
(``AuditUnavailableError``). A replay or purge writes a second entry, its outcome,
afterwards.
"""

from __future__ import annotations

import getpass
import os
import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from eda_cli.dlq.records import DeadLetter
from shared.settings import BrokerKind

AUDIT_NAME = "eda.dlq.audit"
ACTOR_VARIABLE = "EDA_DLQ_ACTOR"
_ACTOR_LENGTH = 128

Entry = dict[str, Any]


class AuditUnavailableError(RuntimeError):
    """The audit record cannot be written (or read); the message is one line."""


class AuditLog(Protocol):
    location: str
    """The topic or stream, as messages name it."""

    async def append(self, entry: Mapping[str, Any]) -> None:
        """Confirmed by the broker on return; ``AuditUnavailableError`` otherwise."""

    async def read(self, reading: Mapping[str, Any]) -> list[Entry]:
        """Append ``reading`` (the record of this read), then every entry up to it."""

    async def close(self) -> None: ...


def actor(given: str | None) -> str:
    """``--actor``, else ``EDA_DLQ_ACTOR``, else the OS user: a claim, not a proof
    (the broker principal beside it is what the broker authenticated)."""
    for candidate in (given, os.environ.get(ACTOR_VARIABLE)):
        cleaned = _printable(candidate)
        if cleaned:
            return cleaned
    try:
        return _printable(getpass.getuser()) or f"uid {os.getuid()}"
    except (OSError, KeyError):  # no passwd entry (a container's arbitrary uid)
        return f"uid {os.getuid()}"


def letter_entry(letter: DeadLetter) -> Entry:
    return {
        "id": letter.id,
        "sha256": letter.sha256,
        "source": letter.source,
        "event_id": letter.event_id,
    }


@dataclass(frozen=True)
class Auditor:
    """Writes the entries of one run of the command to one broker's audit record."""

    log: AuditLog
    actor: str
    broker: BrokerKind
    principal: str | None

    @property
    def location(self) -> str:
        return self.log.location

    async def record(
        self,
        action: str,
        subscriber: str | None,
        *,
        letters: Sequence[DeadLetter] = (),
        refused: Iterable[tuple[DeadLetter, str]] = (),
        **more: Any,
    ) -> None:
        """Before the action takes effect; raising means it must not."""
        try:
            await self.log.append(self.entry(action, subscriber, letters, refused, more))
        except AuditUnavailableError as exc:
            raise AuditUnavailableError(f"{exc}; nothing was done") from None

    async def record_outcome(
        self,
        action: str,
        subscriber: str,
        *,
        done: Sequence[DeadLetter],
        failed: Sequence[tuple[DeadLetter, str]],
        refused: Sequence[tuple[DeadLetter, str]],
    ) -> None:
        outcome = {
            "phase": "outcome",
            "done": [letter.id for letter in done],
            "failed": [{"id": letter.id, "error": error} for letter, error in failed],
        }
        try:
            await self.log.append(self.entry(action, subscriber, (), refused, outcome))
        except AuditUnavailableError as exc:
            raise AuditUnavailableError(
                f"{action} carried out ({len(done)} done), but its outcome is not in the"
                f" audit record: {exc}"
            ) from None

    async def read(self) -> list[Entry]:
        return await self.log.read(self.entry("audit", None, (), (), {}))

    def entry(
        self,
        action: str,
        subscriber: str | None,
        letters: Sequence[DeadLetter],
        refused: Iterable[tuple[DeadLetter, str]],
        more: Mapping[str, Any],
    ) -> Entry:
        return {
            "entry": uuid.uuid4().hex,
            "at": datetime.now(UTC).isoformat(),
            "actor": self.actor,
            "host": socket.gethostname(),
            "principal": self.principal,
            "action": action,
            "subscriber": subscriber,
            "broker": self.broker.value,
            "letters": [letter_entry(letter) for letter in letters],
            "refused": [{**letter_entry(letter), "reason": reason} for letter, reason in refused],
            **more,
        }


def one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _printable(text: str | None) -> str:
    if text is None:
        return ""
    cleaned = "".join(char for char in text.strip() if char.isprintable())
    return cleaned[:_ACTOR_LENGTH]
