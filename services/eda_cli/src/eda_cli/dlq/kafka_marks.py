"""How a Kafka dead letter is removed, since a topic cannot delete one record.

Two records of what was removed, both written by this tool only:

- a committed offset per partition of the dead-letter topic, in the consumer group
  ``<prefix>eda-dlq.<subscriber>``: every record below it was replayed or purged;
- the topic ``<prefix><subscriber>.dlq.removed``: one record per dead letter removed
  above that offset (a single replay out of order), keyed ``partition:offset``.

After each removal the offset moves up to the first record still waiting, so
replaying or purging from the oldest, or all, writes no marker at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.messaging import group_for
from shared.settings import KafkaSettings

REMOVED_SUFFIX = ".removed"


def removed_topic_for(dead_letter_topic: str) -> str:
    return dead_letter_topic + REMOVED_SUFFIX


def tool_group_for(settings: KafkaSettings, subscriber: str) -> str:
    return group_for(settings, f"eda-dlq.{subscriber}")


def marker_key(partition: int, offset: int) -> bytes:
    return f"{partition}:{offset}".encode()


def marker_value(action: str, destination: str | None) -> bytes:
    record = {"action": action, "to": destination, "at": datetime.now(UTC).isoformat()}
    return json.dumps(record).encode()


def parse_marker_key(key: bytes | None) -> tuple[int, int] | None:
    partition, _, offset = (key or b"").decode(errors="replace").partition(":")
    try:
        return int(partition), int(offset)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Removal:
    committed: int
    """The offset to commit: the first record still waiting, or the end."""
    markers: list[int]
    """Offsets removed now that lie above it, which need a marker record."""


def plan_removal(
    committed: int, end: int, present: Iterable[int], removed: set[int], now: set[int]
) -> Removal:
    """``present``: the offsets read from ``committed`` up to ``end``; ``removed``: those
    marked earlier; ``now``: those removed by this operation."""
    gone = removed | now
    waiting = sorted(offset for offset in present if offset not in gone)
    new_committed = waiting[0] if waiting else max(end, committed)
    return Removal(new_committed, sorted(offset for offset in now if offset >= new_committed))
