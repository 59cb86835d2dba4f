"""``batch_handled_once`` and ``claim_many`` on MariaDB: one unit of work for a run of
events, each event claimed and applied once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import aiomysql
import pytest

from shared.db import UnitOfWork
from shared.db.inbox import ClaimRaceError, batch_handled_once, claim, claim_many, handled_once
from shared.envelope import Envelope
from shared.events import Event
from tests.contract.events import create_tables, effect_counts, order_confirmed, record_effect
from tests.support.polling import eventually

SUBSCRIBER = "users.order-confirmed"


async def waits_for_a_lock(pool: aiomysql.Pool, marker: str) -> bool:
    """Whether a statement mentioning ``marker`` waits for a row lock."""
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(
            "SELECT COUNT(*) FROM information_schema.INNODB_TRX"
            " WHERE trx_state = 'LOCK WAIT' AND trx_query LIKE %s",
            (f"%{marker}%",),
        )
    return bool(row and row[0])


def pairs(envelopes: Sequence[Envelope]) -> list[tuple[Event, Envelope]]:
    return [(envelope.event(), envelope) for envelope in envelopes]


async def test_claim_many_returns_the_ids_not_claimed_before_each_once(
    mysql_pool: aiomysql.Pool,
) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        assert await claim(uow, SUBSCRIBER, "old")
        await uow.commit()
    async with UnitOfWork(mysql_pool, isolation="READ COMMITTED") as uow:
        fresh = await claim_many(uow, SUBSCRIBER, ["a", "old", "b", "a"])
        again = await claim_many(uow, SUBSCRIBER, ["a", "b"])
        await uow.commit()
    assert fresh == {"a", "b"}
    assert again == set()  # its refused insert left the earlier claims of the transaction
    assert await claimed_ids(mysql_pool) == {"old", "a", "b"}


async def test_a_run_with_repeats_and_processed_events_applies_each_effect_once(
    mysql_pool: aiomysql.Pool,
) -> None:
    await create_tables(mysql_pool)
    processed, new, repeated = order_confirmed(), order_confirmed(), order_confirmed()
    await handled_once(mysql_pool, SUBSCRIBER, record_effect)(processed.event(), processed)

    handle_many = batch_handled_once(mysql_pool, SUBSCRIBER, record_effect)
    await handle_many(pairs([repeated, processed, new, repeated]))
    await handle_many(pairs([new, processed]))

    assert await effect_counts(mysql_pool) == {processed.id: 1, new.id: 1, repeated.id: 1}


async def test_a_failing_event_rolls_back_the_whole_run(mysql_pool: aiomysql.Pool) -> None:
    await create_tables(mysql_pool)
    good, bad = order_confirmed(), order_confirmed()

    async def fail_on_bad(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await record_effect(event, envelope, uow)
        if envelope.id == bad.id:
            raise RuntimeError("handler bug")

    with pytest.raises(RuntimeError):
        await batch_handled_once(mysql_pool, SUBSCRIBER, fail_on_bad)(pairs([good, bad]))

    assert await effect_counts(mysql_pool) == {}
    async with UnitOfWork(mysql_pool) as uow:
        assert await uow.fetchall("SELECT event_id FROM processed_events") == []


async def test_the_batch_form_gets_only_the_newly_claimed_events_in_one_call(
    mysql_pool: aiomysql.Pool,
) -> None:
    processed, first, second = order_confirmed(), order_confirmed(), order_confirmed()
    async with UnitOfWork(mysql_pool) as uow:
        await claim(uow, SUBSCRIBER, processed.id)
        await uow.commit()
    calls: list[list[str]] = []

    async def unused(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        raise AssertionError("the batch form should have been called instead")

    async def together(events: Sequence[tuple[Event, Envelope]], uow: UnitOfWork) -> None:
        calls.append([envelope.id for _, envelope in events])

    handle_many = batch_handled_once(mysql_pool, SUBSCRIBER, unused, handle_together=together)
    await handle_many(pairs([first, processed, second, first]))
    await handle_many(pairs([processed, second]))

    assert calls == [[first.id, second.id]]


async def test_a_claim_committed_concurrently_is_waited_for_and_left_out(
    mysql_pool: aiomysql.Pool,
) -> None:
    contested, other = order_confirmed(), order_confirmed()
    async with UnitOfWork(mysql_pool, isolation="READ COMMITTED") as rival:
        assert await claim(rival, SUBSCRIBER, contested.id)  # held, not yet committed
        claiming = asyncio.create_task(claim_in_a_run(mysql_pool, [contested.id, other.id]))
        await eventually(
            lambda: waits_for_a_lock(mysql_pool, contested.id),
            interval=0.25,  # INNODB_TRX is a cache refreshed only when 0.1 s old
            what="the run waiting on the rival",
        )
        await rival.commit()
        assert await asyncio.wait_for(claiming, timeout=10) == {other.id}
    assert await claimed_ids(mysql_pool) == {contested.id, other.id}


async def test_a_claim_committed_concurrently_after_the_read_fails_the_run(
    mysql_pool: aiomysql.Pool,
) -> None:
    # One id claimed before sends the run to read what exists; the rival's uncommitted
    # claim is not seen by that read, and is committed before the run inserts.
    before, contested, other = order_confirmed(), order_confirmed(), order_confirmed()
    async with UnitOfWork(mysql_pool) as uow:
        assert await claim(uow, SUBSCRIBER, before.id)
        await uow.commit()
    async with UnitOfWork(mysql_pool, isolation="READ COMMITTED") as rival:
        assert await claim(rival, SUBSCRIBER, contested.id)
        claiming = asyncio.create_task(
            claim_in_a_run(mysql_pool, [before.id, contested.id, other.id])
        )
        await eventually(
            lambda: waits_for_a_lock(mysql_pool, contested.id),
            interval=0.25,
            what="the run waiting on the rival",
        )
        await rival.commit()
        with pytest.raises(ClaimRaceError):
            await asyncio.wait_for(claiming, timeout=10)
    assert await claimed_ids(mysql_pool) == {before.id, contested.id}


async def claim_in_a_run(pool: aiomysql.Pool, event_ids: list[str]) -> set[str]:
    async with UnitOfWork(pool, isolation="READ COMMITTED") as uow:
        fresh = await claim_many(uow, SUBSCRIBER, event_ids)
        await uow.commit()
    return fresh


async def claimed_ids(pool: aiomysql.Pool) -> set[str]:
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall("SELECT event_id FROM processed_events")
    return {str(event_id) for (event_id,) in rows}
