"""Helpers the user-service integration tests share."""

from __future__ import annotations

from dataclasses import replace

import aiomysql
from fastapi import FastAPI

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope, decode
from shared.settings import MySQLSettings, load_settings
from user_service.bootstrap import ServiceSettings, UserServiceSettings
from user_service.bootstrap.settings import SOURCE


def settings_for(mysql: MySQLSettings) -> UserServiceSettings:
    return UserServiceSettings(
        platform=load_settings(source=SOURCE, mysql=mysql), service=ServiceSettings()
    )


def use_context(app: FastAPI, **changes: object) -> None:
    """Swap parts of the running app's use-case context, e.g. a fixed clock."""
    app.state.runtime.services = replace(app.state.runtime.services, **changes)


async def outbox(pool: aiomysql.Pool) -> list[Envelope]:
    """Every outbox row in write order, decoded, checked against its own columns."""
    async with UnitOfWork(pool) as uow:
        rows = await uow.fetchall(
            "SELECT event_id, event_type, aggregate_id, payload FROM outbox ORDER BY id"
        )
    envelopes = []
    for event_id, event_type, aggregate_id, payload in rows:
        envelope = decode(payload.encode())
        assert (envelope.id, envelope.type, envelope.subject) == (
            event_id,
            event_type,
            aggregate_id,
        )
        envelopes.append(envelope)
    return envelopes


async def count(pool: aiomysql.Pool, table: str) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])
