"""Stop aiokafka clients with one warning, not pages of retries, when the broker has
gone away: leaving the group and flushing then fail, and the messages not committed
come again to the group's next member (idempotency absorbs them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)

_STOP_TIMEOUT_S = 10.0


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class LibraryProblems:
    """aiokafka's warnings and errors, kept instead of logged from ``start()`` on:
    once a consumer is told to stop, its retries against a broker that went away are
    summed up in one warning. Consumers of one process share the library's logger:
    it propagates again once none of them collects."""

    _collecting: set[LibraryProblems] = set()  # noqa: RUF012 - shared on purpose
    _propagate = True

    def __init__(self) -> None:
        self._collect = _Collect()

    def start(self) -> None:
        if self in LibraryProblems._collecting:
            return
        library = logging.getLogger("aiokafka")
        if not LibraryProblems._collecting:
            LibraryProblems._propagate = library.propagate
            library.propagate = False
        LibraryProblems._collecting.add(self)
        library.addHandler(self._collect)

    def end(self) -> list[logging.LogRecord]:
        if self in LibraryProblems._collecting:
            library = logging.getLogger("aiokafka")
            library.removeHandler(self._collect)
            LibraryProblems._collecting.discard(self)
            if not LibraryProblems._collecting:
                library.propagate = LibraryProblems._propagate
        return self._collect.records


async def stop_quietly(
    who: str,
    servers: str,
    stops: Sequence[Callable[[], Awaitable[None]]],
    problems: LibraryProblems,
) -> None:
    """Run each stop in turn; log one warning if the broker did not answer."""
    problem: str | None = None
    problems.start()
    try:
        for stop in stops:
            try:
                await asyncio.wait_for(stop(), _STOP_TIMEOUT_S)
            except (KafkaError, OSError, TimeoutError) as exc:
                problem = problem or f"{type(exc).__name__}: {exc}"
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this task is being cancelled: not a failed stop
                # aiokafka's fetcher re-raises the cancellation of its own task.
                problem = problem or "a fetch was cancelled"
    finally:
        records = problems.end()
    if problem is None and records:
        problem = records[-1].getMessage()
    if problem is not None:
        log.warning(
            "%s stopped without the broker at %s (%s): messages not committed come again",
            who,
            servers,
            problem,
        )
