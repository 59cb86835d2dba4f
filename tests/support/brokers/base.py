"""What every broker harness holds: its settings and the subscribers it named."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from shared.messaging import Subscription
from shared.settings import Settings


@dataclass
class HarnessBase:
    settings: Settings
    subscribers: list[str] = field(default_factory=list)

    def with_settings(self, section: Literal["kafka", "rabbitmq"], **changes: Any) -> Self:
        """The same harness with one broker's settings changed; the subscribers it names
        are cleaned up with this one."""
        changed = getattr(self.settings, section).model_copy(update=changes)
        return type(self)(self.settings.model_copy(update={section: changed}), self.subscribers)

    def subscription(self, event_type: str) -> Subscription:
        name = f"contract-{uuid.uuid4().hex[:10]}"
        self.subscribers.append(name)
        return Subscription(subscriber=name, event_type=event_type)
