"""Append events to the outbox inside the caller's unit of work."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from opentelemetry.trace import SpanKind

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, encode
from shared.telemetry.trace_context import current_traceparent
from shared.telemetry.tracing import tracer

# Matches the rows of outbox_buckets created by migration shared:0002.
BUCKETS = 16


def bucket_of(aggregate_id: str) -> int:
    return zlib.crc32(aggregate_id.encode()) % BUCKETS


async def add_to_outbox(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
    """Store the envelopes; they are published after the unit of work commits.

    With tracing on, an ``outbox write`` span covers the insert, and each row keeps
    that span's context: the relay's PRODUCER span continues the trace from it, and
    it becomes the envelopes' ``traceparent`` (their creation context)."""
    if not envelopes:
        return
    active = tracer()
    if active is None:
        await _insert(uow, envelopes)
        return
    with active.start_as_current_span(
        "outbox write",
        kind=SpanKind.INTERNAL,
        attributes={
            "eda.outbox.event_types": sorted({envelope.type for envelope in envelopes}),
            "eda.outbox.events": len(envelopes),
        },
    ):
        created = current_traceparent()
        if created is not None:
            traceparent, tracestate = created
            # The write is the events' creation context, also for reactions that
            # carried their cause's context forward while tracing was off.
            envelopes = [
                envelope.model_copy(update={"traceparent": traceparent, "tracestate": tracestate})
                for envelope in envelopes
            ]
        await _insert(uow, envelopes)


async def _insert(uow: UnitOfWork, envelopes: Sequence[Envelope]) -> None:
    uow.wrote_outbox = True
    await uow.repository(OutboxRows).insert(envelopes)


class OutboxRows:
    """The ``outbox`` table of one unit of work: a repository like the services' own."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def insert(self, envelopes: Sequence[Envelope]) -> None:
        rows = [
            (
                envelope.id,
                envelope.type,
                envelope.subject,
                bucket_of(envelope.subject),
                encode(envelope).decode(),
                *_stored_context(envelope),
            )
            for envelope in envelopes
        ]
        async with self._uow.connection.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO outbox (event_id, event_type, aggregate_id, bucket, payload,"
                " traceparent, tracestate) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                rows,
            )


def _stored_context(envelope: Envelope) -> tuple[str | None, str | None]:
    """What fits the columns: a version-00 traceparent, a tracestate of at most 512
    characters (a longer one is dropped whole rather than cut mid-entry)."""
    if envelope.traceparent is None or len(envelope.traceparent) != 55:
        return None, None
    tracestate = envelope.tracestate
    return envelope.traceparent, tracestate if tracestate and len(tracestate) <= 512 else None
