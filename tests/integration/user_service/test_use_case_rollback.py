"""A use case that fails after writing leaves neither the change nor its outbox rows."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import aiomysql
import pytest

from shared.db import UnitOfWork
from shared.service import UseCaseContext
from tests.support.mysql import count_rows
from tests.support.outbox import outbox_envelopes
from user_service.domain.errors import EmailAlreadyRegisteredError
from user_service.service_layer import queries, users


class CommitFails(UnitOfWork):
    """Sees what the transaction wrote, then loses the connection instead of committing."""

    written: tuple[int, int] | None = None

    async def commit(self) -> None:
        row = await self.fetchone(
            "SELECT (SELECT COUNT(*) FROM users WHERE status = 'deactivated'),"
            " (SELECT COUNT(*) FROM outbox)"
        )
        assert row is not None
        CommitFails.written = (int(row[0]), int(row[1]))
        raise ConnectionError("lost the database at commit")


def failing(context: UseCaseContext, pool: aiomysql.Pool, woken: list[int]) -> UseCaseContext:
    return replace(
        context, unit_of_work=lambda: CommitFails(pool, after_outbox_commit=lambda: woken.append(1))
    )


async def test_a_failed_registration_leaves_no_user_and_no_event(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    woken: list[int] = []
    with pytest.raises(ConnectionError):
        await users.register_user(failing(context, pool, woken), "ada@example.com", "Ada")
    assert CommitFails.written == (0, 1)  # the event was written before the failure
    assert (await count_rows(pool, "users"), await count_rows(pool, "outbox")) == (0, 0)
    assert woken == []


async def test_a_failed_deactivation_leaves_the_user_active_and_no_event(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    user = await users.register_user(context, "ada@example.com", "Ada")
    woken: list[int] = []
    with pytest.raises(ConnectionError):
        await users.deactivate_user(failing(context, pool, woken), user.id)
    assert CommitFails.written == (1, 2)
    assert (await queries.get_user(context, user.id)).status == "active"
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == ["user.registered"]
    assert woken == []


async def test_a_refused_registration_writes_no_event(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    await users.register_user(context, "ada@example.com", "Ada")
    with pytest.raises(EmailAlreadyRegisteredError):
        await users.register_user(context, "Ada@Example.com", "Ada again")
    assert [envelope.type for envelope in await outbox_envelopes(pool)] == ["user.registered"]


async def test_a_committed_change_wakes_the_relay_once(
    context: UseCaseContext, pool: aiomysql.Pool
) -> None:
    """The unit of work wakes the relay on its own: the use case has nothing to call."""
    woken: list[int] = []
    awake = replace(
        context,
        unit_of_work=partial(UnitOfWork, pool, after_outbox_commit=lambda: woken.append(1)),
    )
    user = await users.register_user(awake, "ada@example.com", "Ada")
    await users.deactivate_user(awake, user.id)
    assert woken == [1, 1]
