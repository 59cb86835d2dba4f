"""What every use case needs from the outside, chosen once by the bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

import aiomysql


def utc_now() -> datetime:
    return datetime.now(UTC)


def _no_op() -> None:
    return None


@dataclass(frozen=True, slots=True)
class UseCaseContext:
    pool: aiomysql.Pool
    source: str
    # Called after each commit that wrote outbox rows: the relay's wake().
    after_commit: Callable[[], None] = _no_op
    clock: Callable[[], datetime] = field(default=utc_now)
    new_id: Callable[[], UUID] = field(default=uuid4)
