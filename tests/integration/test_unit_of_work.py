"""Unit of work and idempotent consumption against the real MariaDB."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import aiomysql
import pytest

from shared.db import UnitOfWork, handled_once
from shared.envelope import Envelope, wrap
from shared.events import Event, UserDeactivatedV1

pytestmark = pytest.mark.usefixtures("tables")


@pytest.fixture
async def tables(mysql_pool: aiomysql.Pool) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("CREATE TABLE notes (id INT AUTO_INCREMENT PRIMARY KEY, body TEXT)")
        await uow.commit()


async def count_notes(pool: aiomysql.Pool) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT COUNT(*) FROM notes")
    assert row is not None
    return int(row[0])


def envelope() -> Envelope:
    event = UserDeactivatedV1(user_id=uuid.uuid4(), deactivated_at=datetime(2026, 1, 1, tzinfo=UTC))
    return wrap(event, source="urn:test")


async def test_a_committed_unit_of_work_persists(mysql_pool: aiomysql.Pool) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("kept",))
        await uow.commit()
    assert await count_notes(mysql_pool) == 1


async def test_a_unit_of_work_left_without_commit_rolls_back(mysql_pool: aiomysql.Pool) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("dropped",))
    assert await count_notes(mysql_pool) == 0


async def test_a_batch_answers_each_statement_in_order(mysql_pool: aiomysql.Pool) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        results = await uow.execute_batch(
            [
                ("INSERT INTO notes (body) VALUES (%s), (%s)", ("a", "50% off")),
                ("SELECT body FROM notes WHERE body LIKE %s ORDER BY id", ("%off",)),
                ("DELETE FROM notes WHERE body = %s", ("a",)),
            ]
        )
        await uow.commit()
    assert [result.affected for result in results] == [2, 1, 1]
    assert [result.rows for result in results] == [[], [("50% off",)], []]
    assert await count_notes(mysql_pool) == 1


async def test_commit_after_commits_only_if_every_statement_succeeds(
    mysql_pool: aiomysql.Pool,
) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("earlier",))
        with pytest.raises(aiomysql.ProgrammingError):
            await uow.commit_after(
                [
                    ("INSERT INTO notes (body) VALUES (%s)", ("later",)),
                    ("INSERT INTO no_such_table VALUES (1)", ()),
                ]
            )
    # The COMMIT after the failed statement never ran: the unit of work rolled back.
    assert await count_notes(mysql_pool) == 0
    async with UnitOfWork(mysql_pool) as uow:
        [inserted] = await uow.commit_after([("INSERT INTO notes (body) VALUES (%s)", ("kept",))])
    assert inserted.affected == 1
    assert await count_notes(mysql_pool) == 1


async def test_an_error_inside_the_unit_of_work_rolls_back(mysql_pool: aiomysql.Pool) -> None:
    async def insert_then_fail() -> None:
        async with UnitOfWork(mysql_pool) as uow:
            await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("dropped",))
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await insert_then_fail()
    assert await count_notes(mysql_pool) == 0


async def test_each_unit_of_work_runs_at_its_own_isolation_on_a_shared_connection(
    mysql_pool: aiomysql.Pool,
) -> None:
    """The session's level is set only when it changes: a connection that served a READ
    COMMITTED unit of work must not carry that level into a default one."""

    async def level(isolation: str | None) -> str:
        async with UnitOfWork(mysql_pool, isolation=isolation) as uow:
            row = await uow.fetchone("SELECT @@tx_isolation")
        assert row is not None
        return str(row[0])

    for isolation, expected in [
        ("READ COMMITTED", "READ-COMMITTED"),
        (None, "REPEATABLE-READ"),
        ("READ COMMITTED", "READ-COMMITTED"),
        ("READ COMMITTED", "READ-COMMITTED"),
        ("SERIALIZABLE", "SERIALIZABLE"),
        (None, "REPEATABLE-READ"),
    ]:
        assert await level(isolation) == expected, isolation


@pytest.mark.parametrize(
    ("isolation", "count_after_the_commit"),
    [("READ COMMITTED", 1), (None, 0)],
    ids=["read committed sees it", "default keeps its snapshot"],
)
async def test_a_commit_made_meanwhile_is_seen_per_isolation(
    mysql_pool: aiomysql.Pool, isolation: str | None, count_after_the_commit: int
) -> None:
    async with UnitOfWork(mysql_pool, isolation=isolation) as reader:
        assert await reader.fetchone("SELECT COUNT(*) FROM notes") == (0,)
        async with UnitOfWork(mysql_pool) as writer:
            await writer.execute("INSERT INTO notes (body) VALUES (%s)", ("new",))
            await writer.commit()
        assert await reader.fetchone("SELECT COUNT(*) FROM notes") == (count_after_the_commit,)


async def test_sql_looking_input_is_stored_verbatim(mysql_pool: aiomysql.Pool) -> None:
    hostile = "x'); DROP TABLE notes; --"
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", (hostile,))
        await uow.commit()
    async with UnitOfWork(mysql_pool) as uow:
        assert await uow.fetchall("SELECT body FROM notes") == [(hostile,)]


async def write_note(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
    await uow.execute("INSERT INTO notes (body) VALUES (%s)", (envelope.id,))


async def test_concurrent_deliveries_of_one_event_apply_it_once(mysql_pool: aiomysql.Pool) -> None:
    handle = handled_once(mysql_pool, "notes-subscriber", write_note)
    delivered = envelope()
    await asyncio.gather(*(handle(delivered.event(), delivered) for _ in range(5)))
    assert await count_notes(mysql_pool) == 1


async def test_the_same_event_is_applied_once_per_subscriber(mysql_pool: aiomysql.Pool) -> None:
    delivered = envelope()
    for subscriber in ("first", "second", "first"):
        await handled_once(mysql_pool, subscriber, write_note)(delivered.event(), delivered)
    assert await count_notes(mysql_pool) == 2


async def test_a_failed_handler_leaves_no_processed_mark_so_a_retry_applies_it(
    mysql_pool: aiomysql.Pool,
) -> None:
    attempts: list[int] = []

    async def fail_first(event: Event, envelope: Envelope, uow: UnitOfWork) -> None:
        await write_note(event, envelope, uow)
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("lost the database mid-handler")

    handle = handled_once(mysql_pool, "notes-subscriber", fail_first)
    delivered = envelope()
    with pytest.raises(ConnectionError):
        await handle(delivered.event(), delivered)
    await handle(delivered.event(), delivered)
    assert await count_notes(mysql_pool) == 1


async def test_a_commit_that_wrote_outbox_rows_wakes_the_relay_and_no_other_does(
    mysql_pool: aiomysql.Pool,
) -> None:
    woken: list[str] = []
    async with UnitOfWork(mysql_pool, after_outbox_commit=lambda: woken.append("commit")) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("no event",))
        await uow.commit()
    assert woken == []
    async with UnitOfWork(mysql_pool, after_outbox_commit=lambda: woken.append("commit")) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("with event",))
        uow.wrote_outbox = True  # as the outbox writer marks it
        await uow.commit()
    assert woken == ["commit"]
    async with UnitOfWork(mysql_pool, after_outbox_commit=lambda: woken.append("after")) as uow:
        uow.wrote_outbox = True
        await uow.commit_after([("INSERT INTO notes (body) VALUES (%s)", ("batched",))])
    assert woken == ["commit", "after"]
    assert await count_notes(mysql_pool) == 3


async def test_a_rolled_back_unit_of_work_with_outbox_rows_wakes_nothing(
    mysql_pool: aiomysql.Pool,
) -> None:
    woken: list[int] = []
    async with UnitOfWork(mysql_pool, after_outbox_commit=lambda: woken.append(1)) as uow:
        await uow.execute("INSERT INTO notes (body) VALUES (%s)", ("lost",))
        uow.wrote_outbox = True  # and it ends without commit: rolled back
    assert woken == []
    assert await count_notes(mysql_pool) == 0
