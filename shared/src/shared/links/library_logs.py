"""The client libraries' own account of a failed connection, held while a link starts.
aiokafka logs "Unable connect to ..." and aiormq "error when creating transport" at
ERROR before they raise: when the start turns out misconfigured, the process says it
once, in the line that stops it, and the held lines are dropped; any other outcome
lets them through, as they explain an outage."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from shared.links.problems import LinkMisconfigured


class _Held(logging.Filter):
    def __init__(self, logger: logging.Logger, prefixes: tuple[str, ...]) -> None:
        super().__init__()
        self.logger = logger
        self.prefixes = prefixes
        self.starting = 0
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if self.starting and str(record.msg).startswith(self.prefixes):
            self.held.append(record)
            return False
        return True


def _holder(name: str, *prefixes: str) -> _Held:
    logger = logging.getLogger(name)
    held = _Held(logger, prefixes)
    logger.addFilter(held)
    return held


# aiokafka.client logs under the name "aiokafka".
KAFKA = (_holder("aiokafka", "Unable connect to"),)
RABBITMQ = (
    _holder("aiormq.connection", "error when creating transport"),
    _holder("aio_pika.robust_connection", "Connection to %s closed. Reconnecting"),
)


@contextlib.contextmanager
def held_while_starting(holders: tuple[_Held, ...]) -> Iterator[None]:
    for holder in holders:
        holder.starting += 1
    misconfigured = False
    try:
        yield
    except LinkMisconfigured:
        misconfigured = True
        raise
    finally:
        for holder in holders:
            holder.starting -= 1
            held, holder.held = holder.held, []
            if not misconfigured:
                for record in held:
                    holder.logger.handle(record)
