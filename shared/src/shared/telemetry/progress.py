"""How long a backlog has waited on work that does not complete: the relay's and each
subscriber's idle seconds."""

from __future__ import annotations

import time
from collections.abc import Callable


class Progress:
    """When work last completed, on a monotonic clock. Before the first completion, the
    time of creation counts as one: a process that never got anything done since it
    started has been idle since then."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()

    def completed(self) -> None:
        self._last = self._clock()

    def idle_seconds(self, backlog: float) -> float:
        """Seconds since the last completion while ``backlog`` waits; 0 without one."""
        if backlog <= 0:
            return 0.0
        return max(0.0, self._clock() - self._last)
