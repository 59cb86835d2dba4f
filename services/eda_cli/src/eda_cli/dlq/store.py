"""What every broker's dead-letter store offers the command, and its errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from eda_cli.dlq.records import DeadLetter

REPLAYED_FROM = "x-dead-letter-replayed-from"
"""Set on a replayed message: the dead-letter destination it came back from."""

Progress = Callable[[DeadLetter, str], None]
"""Told about each dead letter once it was replayed (with where to) or purged (with "")."""


Approve = Callable[[Sequence[DeadLetter]], Awaitable[Sequence[DeadLetter]]]
"""Told the dead letters a replay or purge chose, before anything is done to any of
them; returns those to act on (the others stay). Raising stops the action: nothing
is done."""


class BrokerUnreachableError(ConnectionError):
    """The broker cannot be reached; the message names the setting that points at it."""


class DeadLetterNotFoundError(LookupError):
    pass


@dataclass
class Outcome:
    done: list[DeadLetter] = field(default_factory=list)
    failed: list[tuple[DeadLetter, str]] = field(default_factory=list)
    refused: list[tuple[DeadLetter, str]] = field(default_factory=list)
    """Replays refused before publishing: their recorded origin is not the subscriber's."""


class DeadLetterStore(Protocol):
    location: str
    """The dead-letter topic or queue, as the output names it."""

    async def count(self) -> int | None:
        """Dead letters waiting; None when the topic or queue does not exist yet."""

    async def read(self, limit: int | None = None) -> list[DeadLetter]:
        """The waiting dead letters, oldest first, at most ``limit``."""

    async def find(self, letter_id: str) -> DeadLetter:
        """Raise ``DeadLetterNotFoundError`` when no waiting dead letter has that id."""

    async def replay(
        self, letter_id: str | None, limit: int | None, approve: Approve, progress: Progress
    ) -> Outcome:
        """Publish one (``letter_id``) or the oldest ``limit`` (all if None), those
        ``approve`` returns, back to the subscriber's own topic or queue, each removed
        from the dead letters only after the broker confirmed its publication."""

    async def purge(self, limit: int | None, approve: Approve, progress: Progress) -> Outcome:
        """Remove the oldest ``limit`` (all if None), those ``approve`` returns, without
        replaying them."""

    async def close(self) -> None: ...
