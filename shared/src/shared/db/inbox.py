"""The inbox of consumed events (effectively-once consumption): the handler's writes and
a ``processed_events`` row (subscriber, event id) commit in one transaction; a
redelivered event finds its row and is skipped. The table comes from the platform
migration ``shared:0001``.

``handled_once`` wraps a handler for one event per transaction, ``batch_handled_once``
for a run of events in one transaction, each event still claimed and applied once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import aiomysql
import pymysql
from pymysql.constants import ER

from shared.db.statements import placeholders, row_placeholders
from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.errors import TransientError
from shared.events.base import Event
from shared.messaging.protocols import BatchHandler, Handler
from shared.telemetry.handler_spans import handler_span
from shared.telemetry.message_context import continuing_message
from shared.telemetry.metrics import EVENTS_DUPLICATE

UnitOfWorkHandler = Callable[[Event, Envelope, UnitOfWork], Awaitable[None]]
UnitOfWorkBatchHandler = Callable[[Sequence[tuple[Event, Envelope]], UnitOfWork], Awaitable[None]]
"""Optional: the same effect as calling a ``UnitOfWorkHandler`` for each event in order,
with fewer statements. Raising fails the whole run."""


async def claim(uow: UnitOfWork, subscriber: str, event_id: str) -> bool:
    """Record the event as processed in the open transaction; False if it already was.

    A concurrent duplicate blocks on the primary key until the first commits or
    rolls back, so two deliveries never both claim the same event.
    """
    # A no-op update instead of INSERT IGNORE: same locking, no warning, and other
    # errors (a too-long id) still raise. Affected rows: 1 inserted, 0 already there.
    inserted = await uow.execute(
        "INSERT INTO processed_events (subscriber, event_id) VALUES (%s, %s)"
        " ON DUPLICATE KEY UPDATE event_id = event_id",
        (subscriber, event_id),
    )
    return inserted == 1


class ClaimRaceError(TransientError):
    """Another transaction claimed some of a batch's events meanwhile: which ones is unknown."""


async def claim_many(uow: UnitOfWork, subscriber: str, event_ids: Sequence[str]) -> set[str]:
    """Record the events as processed in the open transaction; return the ids that were
    not before. One round trip when none was (the usual case), three otherwise."""
    wanted = list(dict.fromkeys(event_ids))
    if not wanted:
        return set()
    if await _insert_all_new(uow, subscriber, wanted):
        return set(wanted)
    return await _claim_the_unclaimed(uow, subscriber, wanted)


async def _insert_all_new(uow: UnitOfWork, subscriber: str, event_ids: list[str]) -> bool:
    """Claim every one of the events; False, and none claimed, if any was claimed before.

    A plain insert: InnoDB rolls back only the failing statement on a duplicate key,
    so the transaction goes on. A concurrent claimer of one of them is waited for."""
    try:
        await uow.execute(
            "INSERT INTO processed_events (subscriber, event_id)"  # noqa: S608
            f" VALUES {row_placeholders(len(event_ids), 2)}",
            [value for event_id in event_ids for value in (subscriber, event_id)],
        )
    except pymysql.err.IntegrityError as exc:
        if exc.args[0] != ER.DUP_ENTRY:
            raise
        return False
    return True


async def _claim_the_unclaimed(uow: UnitOfWork, subscriber: str, wanted: list[str]) -> set[str]:
    """Read which were claimed before, insert the rest."""
    # Only "%s" markers are interpolated into these statements (shared.db.statements).
    rows = await uow.fetchall(
        "SELECT event_id FROM processed_events"  # noqa: S608
        f" WHERE subscriber = %s AND event_id IN ({placeholders(len(wanted))})",
        (subscriber, *wanted),
    )
    existing = {str(event_id) for (event_id,) in rows}
    fresh = [event_id for event_id in wanted if event_id not in existing]
    if not fresh:
        return set()
    inserted = await uow.execute(
        "INSERT INTO processed_events (subscriber, event_id)"  # noqa: S608
        f" VALUES {row_placeholders(len(fresh), 2)}"
        " ON DUPLICATE KEY UPDATE event_id = event_id",
        [value for event_id in fresh for value in (subscriber, event_id)],
    )
    # The read takes no locks: a concurrent claimer may have committed one of ``fresh``
    # since (the insert waited for it and did nothing). Which one cannot be told apart
    # from our own rows, so the whole run fails and goes one event at a time.
    if inserted != len(fresh):
        raise ClaimRaceError(
            f"{len(fresh) - inserted} of {len(fresh)} events were claimed concurrently"
        )
    return set(fresh)


def _no_op() -> None:
    return None


def handled_once(
    pool: aiomysql.Pool,
    subscriber: str,
    handler: UnitOfWorkHandler,
    *,
    after_outbox_commit: Callable[[], None] = _no_op,
) -> Handler:
    """Wrap a handler so it runs in one unit of work at most once per event id;
    ``after_outbox_commit`` follows each commit that wrote outbox rows (the relay's
    wake: a wake after a commit without events only made the relay look in vain)."""

    async def handle(event: Event, envelope: Envelope) -> None:
        # READ COMMITTED: no gap locks, so handlers of different aggregates that insert
        # next to each other (first order of two users) cannot deadlock.
        with handler_span(envelope.type, subscriber):
            await _handle_once(event, envelope)

    async def _handle_once(event: Event, envelope: Envelope) -> None:
        async with UnitOfWork(
            pool, isolation="READ COMMITTED", after_outbox_commit=after_outbox_commit
        ) as uow:
            if not await claim(uow, subscriber, envelope.id):
                EVENTS_DUPLICATE.labels(envelope.type, subscriber).inc()
                return
            await handler(event, envelope, uow)
            await uow.commit()

    return handle


def batch_handled_once(
    pool: aiomysql.Pool,
    subscriber: str,
    handler: UnitOfWorkHandler,
    *,
    handle_together: UnitOfWorkBatchHandler | None = None,
    after_outbox_commit: Callable[[], None] = _no_op,
) -> BatchHandler:
    """Wrap a handler so a run of events is handled in one unit of work, in order, each
    event at most once per event id (a repeat within the run counts once). With
    ``handle_together`` the newly claimed events go to it in one call instead.
    ``after_outbox_commit`` as in ``handled_once``."""

    async def handle_many(events: Sequence[tuple[Event, Envelope]]) -> None:
        if not events:
            return
        with handler_span(events[0][1].type, subscriber, len(events)):
            await _handle_run(events)

    async def _handle_run(events: Sequence[tuple[Event, Envelope]]) -> None:
        # READ COMMITTED for the reasons given in ``handled_once``.
        async with UnitOfWork(
            pool, isolation="READ COMMITTED", after_outbox_commit=after_outbox_commit
        ) as uow:
            fresh = await claim_many(uow, subscriber, [envelope.id for _, envelope in events])
            claimed = []
            for event, envelope in events:
                if envelope.id in fresh:
                    fresh.discard(envelope.id)
                    claimed.append((event, envelope))
            if handle_together is not None:
                if claimed:
                    await handle_together(claimed, uow)
            else:
                for event, envelope in claimed:
                    # What it writes continues the event's own trace, not the run's.
                    with continuing_message(envelope.id):
                        await handler(event, envelope, uow)
            await uow.commit()
        if len(claimed) < len(events):
            EVENTS_DUPLICATE.labels(events[0][1].type, subscriber).inc(len(events) - len(claimed))

    return handle_many
