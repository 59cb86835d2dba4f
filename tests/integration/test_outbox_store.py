"""The store's bucket claim, a relay pass's scan: it locks only as many buckets as it
takes, so that other lanes and relays find the rest, and it probes each bucket for one
pending row instead of reading every pending row (a semi-join the optimizer
materialised did: about 30 index reads per relayed event)."""

from __future__ import annotations

import aiomysql

from shared.db import UnitOfWork
from shared.outbox.store import OutboxStore
from shared.outbox.writer import BUCKETS, add_to_outbox, bucket_of
from tests.support.outbox_data import outbox_events

PENDING = 20_000


async def pending_outbox(pool: aiomysql.Pool) -> None:
    envelopes = outbox_events(PENDING, aggregates=200, seed=3)
    assert len({bucket_of(envelope.subject) for envelope in envelopes}) == BUCKETS
    async with UnitOfWork(pool) as uow:
        await add_to_outbox(uow, envelopes)
        await uow.commit()
    async with UnitOfWork(pool) as uow:  # statistics as a running service's table has them
        await uow.fetchall("ANALYZE TABLE outbox")


def store(pool: aiomysql.Pool, buckets_per_pass: int) -> OutboxStore:
    return OutboxStore(pool, buckets_per_pass)


async def index_reads(uow: UnitOfWork) -> int:
    row = await uow.fetchone("SHOW SESSION STATUS LIKE 'Handler_read_next'")
    assert row is not None
    return int(row[1])


async def test_two_passes_lock_disjoint_buckets_and_leave_the_rest(
    mysql_pool: aiomysql.Pool,
) -> None:
    await pending_outbox(mysql_pool)
    passes = store(mysql_pool, buckets_per_pass=4)
    async with (
        UnitOfWork(mysql_pool, isolation="READ COMMITTED") as first,
        UnitOfWork(mysql_pool, isolation="READ COMMITTED") as second,
        UnitOfWork(mysql_pool, isolation="READ COMMITTED") as third,
    ):
        held = [await passes.claim_buckets(uow) for uow in (first, second, third)]
    assert [len(buckets) for buckets in held] == [4, 4, 4]
    assert len({bucket for buckets in held for bucket in buckets}) == 12


async def test_the_scan_reads_about_one_index_entry_per_bucket(mysql_pool: aiomysql.Pool) -> None:
    await pending_outbox(mysql_pool)
    async with UnitOfWork(mysql_pool, isolation="READ COMMITTED") as uow:
        before = await index_reads(uow)
        locked = await store(mysql_pool, buckets_per_pass=BUCKETS).claim_buckets(uow)
        read = await index_reads(uow) - before
    assert len(locked) == BUCKETS
    assert read <= 2 * BUCKETS, f"{read} index entries read for {PENDING} pending rows"
