"""In-memory stand-ins for the ports the shared code talks to, for tests more than one
module uses."""

from __future__ import annotations

from shared.messaging import IncomingMessage


class FakeDeadLetters:
    """A dead-letter sink keeping ``(body, reason, attempts)`` per record; the first
    ``failures_before_success`` calls fail as an unreachable broker would."""

    def __init__(self, failures_before_success: int = 0) -> None:
        self.records: list[tuple[bytes, str, int]] = []
        self.failures_left = failures_before_success

    async def dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("broker unreachable")
        self.records.append((message.body, reason, attempts))
