"""How long a consumer's fetches ask the broker to wait for records: the configured
wait while records come, a longer one once none came for a while.

Tansu answers a fetch only at its deadline, so `make run` asks for a short wait to keep
latency low; an idle consumer then sends a hundred fetches a second, and six idle
subscribers and the broker spent about a third of a core on nothing. Real Kafka
answers a fetch as soon as records arrive, so the long idle wait costs it nothing and
the setting stays off there.
"""

from __future__ import annotations

import logging

from aiokafka import AIOKafkaConsumer

log = logging.getLogger(__name__)

IDLE_AFTER_S = 5.0
"""No records for this long and the consumer counts as idle: a person trying the API
by hand, a request every few seconds, keeps the short wait."""


class FetchWait:
    def __init__(self, busy_ms: int, idle_ms: int | None, now: float) -> None:
        self._busy_ms = busy_ms
        self._idle_ms = idle_ms
        self._last_records_at = now
        self.current_ms = busy_ms

    def after_poll(self, *, got_records: bool, now: float) -> int:
        """The wait the next fetches should ask for, after a poll that got records or not."""
        if got_records:
            self._last_records_at = now
            self.current_ms = self._busy_ms
        elif self._idle_ms is not None and now - self._last_records_at >= IDLE_AFTER_S:
            self.current_ms = max(self._busy_ms, self._idle_ms)
        return self.current_ms


def set_fetch_max_wait(consumer: AIOKafkaConsumer, wait_ms: int) -> bool:
    """Change the wait of the consumer's next fetch requests; whether it could.

    aiokafka reads it from its fetcher each time it builds a fetch request, and has no
    public way to change it; the pinned version is checked by a unit test.
    """
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
        return False
    fetcher._fetch_max_wait_ms = wait_ms
    return True
