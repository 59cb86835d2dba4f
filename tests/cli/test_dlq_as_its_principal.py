"""`eda dlq` as its own RabbitMQ principal, with exactly the rights
``shared.messaging.permissions`` gives the workload ``eda-dlq``: it lists, replays and
purges, and appends to the audit stream an administrator created, while the broker
refuses it the subscriber's own queue and the events exchange."""

from __future__ import annotations

import json

import aio_pika
import pytest
from aiormq.exceptions import ChannelAccessRefused

from shared.messaging import queue_name, topic_for
from shared.messaging.permissions import rabbitmq_rights, workload_named
from shared.settings import BrokerKind, load_settings
from tests.cli.dlq_support import (
    EVENT_TYPE,
    SUBSCRIBER,
    dead_letter_directly,
    dlq_environment,
    eda_dlq,
    order_placed,
    rabbitmq_cleanup,
    rabbitmq_queue_bodies,
    waiting,
)
from tests.support.secured.rabbitmq import workload_user

# `eda dlq` as its own RabbitMQ user.
pytestmark = [pytest.mark.rabbitmq]


async def test_the_dlq_tool_does_its_job_with_its_own_rights_and_no_more(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, value in dlq_environment(BrokerKind.RABBITMQ, kafka_bootstrap).items():
        monkeypatch.setenv(variable, value)
    settings = load_settings()
    kept, replayed = order_placed(), order_placed()
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        for envelope in (kept, replayed):
            await dead_letter_directly(
                settings, BrokerKind.RABBITMQ, envelope, topic_for(settings.kafka, EVENT_TYPE)
            )
        ids = {letter["event_id"]: letter["id"] for letter in (await waiting())["dead_letters"]}
        # waiting() ran as the administrator (guest): the audit stream exists now.
        rights = rabbitmq_rights(workload_named("eda-dlq"), settings)
        with workload_user(rights, settings.rabbitmq.exchange) as url:
            monkeypatch.setenv("EDA_RABBITMQ__URL", url)
            listed = await eda_dlq("list", SUBSCRIBER)
            assert listed.code == 0, listed.err
            done = await eda_dlq("replay", SUBSCRIBER, ids[replayed.id], "--actor", "ops")
            assert done.code == 0, done.err + done.out
            purged = await eda_dlq("purge", SUBSCRIBER, "--yes", "--actor", "ops")
            assert purged.code == 0, purged.err + purged.out
            audit = await eda_dlq("audit", "--subscriber", SUBSCRIBER, "--json")
            assert audit.code == 0, audit.err

            connection = await aio_pika.connect(url)
            async with connection:
                channel = await connection.channel()
                own = queue_name(settings.rabbitmq, SUBSCRIBER)
                queue = await channel.declare_queue(own, passive=True)
                with pytest.raises(ChannelAccessRefused, match=f"access to queue '{own}'"):
                    await queue.get(fail=False)  # it replays into the queue, never reads it
                channel = await connection.channel()
                events = await channel.get_exchange(settings.rabbitmq.exchange, ensure=False)
                with pytest.raises(ChannelAccessRefused, match="access to exchange"):
                    await events.publish(aio_pika.Message(b"{}"), routing_key=EVENT_TYPE)
            monkeypatch.delenv("EDA_RABBITMQ__URL")
        entries = [json.loads(line) for line in audit.out.splitlines()]  # one per line
        actions = [(e["actor"], e["action"], e.get("phase")) for e in entries]
        assert ("ops", "replay", "outcome") in actions
        assert ("ops", "purge", "outcome") in actions
        bodies = await rabbitmq_queue_bodies(settings, queue_name(settings.rabbitmq, SUBSCRIBER))
        assert len(bodies) == 1, "the replayed letter reached the subscriber's queue"
        assert (await waiting())["dead_letters"] == []
