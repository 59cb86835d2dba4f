"""The resource's status conditions: Ready and BrokerReachable."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

READY = "Ready"
BROKER_REACHABLE = "BrokerReachable"


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    status: bool | None
    """None: unknown (not looked at this time)."""
    reason: str
    message: str = ""

    @property
    def status_text(self) -> str:
        return "Unknown" if self.status is None else str(self.status)


def utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def merge_conditions(
    previous: Sequence[Mapping[str, Any]], conditions: Sequence[Condition], now: str
) -> list[dict[str, str]]:
    """The conditions as status entries; ``lastTransitionTime`` moves only when the
    status of a condition changes."""
    before = {entry.get("type"): entry for entry in previous if isinstance(entry, Mapping)}
    merged = []
    for condition in conditions:
        earlier = before.get(condition.type)
        unchanged = earlier is not None and earlier.get("status") == condition.status_text
        since = earlier.get("lastTransitionTime") if unchanged and earlier else None
        merged.append(
            {
                "type": condition.type,
                "status": condition.status_text,
                "reason": condition.reason,
                "message": condition.message,
                "lastTransitionTime": since if isinstance(since, str) else now,
            }
        )
    return merged


def previous_condition(
    previous: Sequence[Mapping[str, Any]], condition_type: str
) -> Mapping[str, Any] | None:
    for entry in previous:
        if isinstance(entry, Mapping) and entry.get("type") == condition_type:
            return entry
    return None
