"""SIGTERM to a real subscriber process: it finishes in-flight work, commits, exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import aiomysql

from shared.db.unit_of_work import UnitOfWork
from shared.envelope import Envelope
from shared.events import Event
from shared.messaging.factory import RoutingPublisher, create_consumer
from tests.contract.events import EVENT_TYPE, order_confirmed
from tests.contract.harness import BrokerHarness, running
from tests.support.mysql import mysql_settings_for_tests
from tests.support.polling import eventually


def subprocess_environment(broker: BrokerHarness, database: str) -> dict[str, str]:
    settings, mysql = broker.settings, mysql_settings_for_tests()
    return {
        **os.environ,
        "EDA_DEFAULT_BROKER": broker.kind.value,
        "EDA_KAFKA__BOOTSTRAP_SERVERS": settings.kafka.bootstrap_servers,
        "EDA_KAFKA__TOPIC_PREFIX": settings.kafka.topic_prefix,
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__SESSION_TIMEOUT_MS": "6000",
        "EDA_KAFKA__MAX_POLL_RECORDS": "20",
        "EDA_RABBITMQ__EXCHANGE": settings.rabbitmq.exchange,
        "EDA_RABBITMQ__PREFETCH": "20",
        "EDA_MYSQL__HOST": mysql.host,
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD": mysql.password,
    }


async def handled_count(pool: aiomysql.Pool) -> int:
    async with UnitOfWork(pool) as uow:
        row = await uow.fetchone("SELECT COUNT(*) FROM handled")
    return int(row[0]) if row else 0


async def test_sigterm_finishes_in_flight_work_and_exits_cleanly(
    broker: BrokerHarness, mysql_pool: aiomysql.Pool
) -> None:
    async with UnitOfWork(mysql_pool) as uow:
        await uow.execute("CREATE TABLE handled (event_id VARCHAR(255) NOT NULL)")
        await uow.commit()
        database = str((await uow.fetchone("SELECT DATABASE()") or ("",))[0])
    subscription = broker.subscription(EVENT_TYPE)
    publisher = RoutingPublisher(broker.settings)
    sent = [order_confirmed() for _ in range(2000)]
    await broker.provision(subscription)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.signalled_subscriber",
        subscription.subscriber,
        EVENT_TYPE,
        database,
        env=subprocess_environment(broker, database),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await publisher.publish_many(sent)
        await eventually(lambda: _at_least(mysql_pool, 100), what="100 events handled")
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:  # the test failed before SIGTERM: leave no orphan
            process.kill()
            await process.wait()
    handled_by_process = await handled_count(mysql_pool)

    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"stopped cleanly" in stdout
    assert handled_by_process < len(sent), "stopped too late to show anything"

    redelivered: list[str] = []

    async def note_redelivery(event: Event, envelope: Envelope) -> None:
        redelivered.append(envelope.id)

    async with running(create_consumer(broker.settings, subscription, note_redelivery)):
        await eventually(
            lambda: len(redelivered) >= len(sent) - handled_by_process, what="the rest delivered"
        )
    await publisher.close()

    async with UnitOfWork(mysql_pool) as uow:
        handled_ids = {row[0] for row in await uow.fetchall("SELECT event_id FROM handled")}
    assert handled_ids.isdisjoint(redelivered), "work finished before SIGTERM was redelivered"
    assert handled_ids | set(redelivered) == {envelope.id for envelope in sent}


async def _at_least(pool: aiomysql.Pool, count: int) -> bool:
    return await handled_count(pool) >= count
