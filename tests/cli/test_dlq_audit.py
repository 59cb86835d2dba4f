"""`eda dlq` against real brokers: replays pinned to the subscriber's own source, the
digest and source shown first, and the audit record every action writes first.

Dead letters are written with the shared dead-letter sinks under a test's own topic
or queue prefix; a planted one records the origin of another event type, as anyone
allowed to write to a dead-letter topic or queue could.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from eda_local.tansu import free_port
from shared.envelope import Envelope, encode
from shared.messaging import queue_name, topic_for
from shared.messaging.kafka import TopicProvisioner
from shared.settings import BrokerKind, Settings, load_settings
from tests.cli.dlq_support import (
    AUDIT_NAME,
    EVENT_TYPE,
    SOURCE,
    SUBSCRIBER,
    audit_stream,
    audit_topic,
    dead_letter_directly,
    dlq_environment,
    eda_dlq,
    kafka_bodies,
    order_placed,
    rabbitmq_cleanup,
    rabbitmq_queue_bodies,
    waiting,
)
from tests.support.rabbitmq import open_channel
from tests.support.secured.rabbitmq import rabbitmq_user

# Dead letters on the local RabbitMQ too (kafka: the fixture).
pytestmark = [pytest.mark.rabbitmq]

BROKERS = pytest.mark.parametrize(
    "kind", [BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"]
)
OTHER_TYPE = "order.confirmed"
INTRUDER = "urn:eda:intruder"
REFUSED = 3


def _settings_for(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Point ``eda-dlq`` at ``kind``'s broker through the environment; its settings."""
    for name, value in dlq_environment(kind, kafka_bootstrap).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("EDA_DLQ_ACTOR", "ops-from-env")
    return load_settings()


async def _waiting_ids() -> dict[str, str]:
    """The dead letters' ids in the tool, by the id of the event each holds."""
    return {letter["event_id"]: letter["id"] for letter in (await waiting())["dead_letters"]}


async def _dead_letter(settings: Settings, kind: BrokerKind, envelope: Envelope) -> None:
    """As the subscriber's consumer would, from its own topic or the events exchange."""
    await dead_letter_directly(settings, kind, envelope, topic_for(settings.kafka, EVENT_TYPE))


async def _plant(settings: Settings, kind: BrokerKind, envelope: Envelope) -> None:
    """A dead letter in the subscriber's dead letters that records another event type's
    origin: the topic ``order.confirmed`` (Kafka), the routing key (RabbitMQ)."""
    await dead_letter_directly(
        settings,
        kind,
        envelope,
        origin_topic=topic_for(settings.kafka, OTHER_TYPE),
        rabbitmq_origin=f"{settings.rabbitmq.exchange}/{OTHER_TYPE}",
    )


async def _arrived(settings: Settings, kind: BrokerKind) -> list[bytes]:
    """What reached the subscriber's own topic or queue."""
    if kind is BrokerKind.KAFKA:
        return await kafka_bodies(settings, topic_for(settings.kafka, EVENT_TYPE))
    return await rabbitmq_queue_bodies(settings, queue_name(settings.rabbitmq, SUBSCRIBER))


def _digest(envelope: Envelope) -> str:
    return hashlib.sha256(encode(envelope)).hexdigest()


async def _audit(*args: str) -> list[dict[str, Any]]:
    read = await eda_dlq("audit", "--json", *args)
    assert read.code == 0, read.err + read.out
    return [json.loads(line) for line in read.out.splitlines()]


@BROKERS
async def test_a_planted_letter_is_refused_and_the_others_replayed(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_for(kind, kafka_bootstrap, monkeypatch)
    genuine = order_placed()
    planted = order_placed(source=INTRUDER)
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        # Both topics exist: before pinning, the planted letter went to order.confirmed.
        await TopicProvisioner(settings.kafka).ensure(
            {topic_for(settings.kafka, EVENT_TYPE), topic_for(settings.kafka, OTHER_TYPE)}
        )
        await _dead_letter(settings, kind, genuine)
        await _plant(settings, kind, planted)
        ids = await _waiting_ids()

        single = await eda_dlq("replay", SUBSCRIBER, ids[planted.id])
        assert single.code == REFUSED, single.err + single.out
        assert f"refused {ids[planted.id]} (sha256:{_digest(planted)[:12]}): " in single.out
        assert f"its recorded origin {_planted_origin(settings, kind)} is not" in single.out

        replayed = await eda_dlq("replay", SUBSCRIBER, "--all", "--yes")
        assert replayed.code == REFUSED, replayed.err + replayed.out
        lines = replayed.out.splitlines()
        # The one replayed is shown first with its digest and the source it claims.
        preview = next(line for line in lines if line.startswith(f"{ids[genuine.id]} "))
        assert preview.split()[1:3] == [_digest(genuine)[:12], SOURCE], preview
        assert lines.index(preview) < lines.index(
            next(line for line in lines if line.startswith("replayed "))
        )
        refusal = next(line for line in lines if line.startswith("refused "))
        assert refusal.startswith(f"refused {ids[planted.id]} (sha256:{_digest(planted)[:12]}): ")
        assert OTHER_TYPE in refusal
        assert lines[-1] == f"{SUBSCRIBER}: replayed 1 dead letter, 1 refused and kept"

        assert await _arrived(settings, kind) == [encode(genuine)]
        if kind is BrokerKind.KAFKA:
            assert await kafka_bodies(settings, topic_for(settings.kafka, OTHER_TYPE)) == []
        kept = (await waiting())["dead_letters"]
        assert [(letter["event_id"], letter["source"]) for letter in kept] == [
            (planted.id, INTRUDER)
        ]
        assert kept[0]["sha256"] == _digest(planted)


def _planted_origin(settings: Settings, kind: BrokerKind) -> str:
    if kind is BrokerKind.KAFKA:
        return f"{topic_for(settings.kafka, OTHER_TYPE)}/0@0"
    return f"{settings.rabbitmq.exchange}/{OTHER_TYPE}"


@BROKERS
async def test_every_action_appends_who_did_what_to_the_audit_record(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings_for(kind, kafka_bootstrap, monkeypatch)
    first, second, third = order_placed(), order_placed(), order_placed()
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        await TopicProvisioner(settings.kafka).ensure({topic_for(settings.kafka, EVENT_TYPE)})
        for envelope in (first, second):
            await _dead_letter(settings, kind, envelope)
        ids = await _waiting_ids()

        listed = await eda_dlq("list", SUBSCRIBER)
        assert listed.code == 0, listed.err
        one = await eda_dlq("replay", SUBSCRIBER, ids[first.id], "--actor", "alice")
        assert one.code == 0, one.err + one.out
        rest = await eda_dlq("replay", SUBSCRIBER, "--all", "--yes", "--actor", "bob")
        assert rest.code == 0, rest.err + rest.out
        await _dead_letter(settings, kind, third)
        third_id = (await waiting())["dead_letters"][0]["id"]
        purged = await eda_dlq("purge", SUBSCRIBER, "--actor", "carol", stdin="y\n")
        assert purged.code == 0, purged.err + purged.out

        entries = [entry for entry in await _audit() if entry["subscriber"] == SUBSCRIBER]
        steps = [(e["actor"], e["action"], e.get("phase")) for e in entries]
        assert steps == [
            ("ops-from-env", "list", None),  # waiting(), for the ids
            ("ops-from-env", "list", None),
            ("alice", "replay", "intent"),
            ("alice", "replay", "outcome"),
            ("bob", "replay", "intent"),
            ("bob", "replay", "outcome"),
            ("ops-from-env", "list", None),
            ("carol", "purge", "intent"),
            ("carol", "purge", "outcome"),
        ], steps
        letters = [[(x["id"], x["sha256"]) for x in entry["letters"]] for entry in entries]
        both = [(ids[first.id], _digest(first)), (ids[second.id], _digest(second))]
        assert letters[1] == both
        assert letters[2] == [(ids[first.id], _digest(first))]
        assert letters[4] == [(ids[second.id], _digest(second))]
        assert letters[7] == [(third_id, _digest(third))]
        assert [entries[at]["done"] for at in (3, 5, 8)] == [
            [ids[first.id]],
            [ids[second.id]],
            [third_id],
        ]
        assert all(entry["broker"] == kind.value for entry in entries)
        assert all(entry["at"].endswith("+00:00") for entry in entries), "UTC"
        assert entries[2]["letters"][0]["source"] == SOURCE

        # Reading is recorded as well; the text form names who did what.
        text = await eda_dlq("audit", "--since", "1h", "--subscriber", SUBSCRIBER)
        assert text.code == 0, text.err
        assert "alice" in text.out
        assert "replay intent" in text.out
        assert f"{ids[first.id]} sha256:{_digest(first)[:12]}" in text.out
        reads = [entry for entry in await _audit() if entry["action"] == "audit"]
        assert [entry["actor"] for entry in reads] == ["ops-from-env"] * 3


@BROKERS
async def test_an_unwritable_audit_record_stops_the_action(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RabbitMQ: a queue that is not a stream holds the audit record's name; Kafka: the
    audit topic is compacted, which would drop entries. Either way nothing is done."""
    settings = _settings_for(kind, kafka_bootstrap, monkeypatch)
    envelope = order_placed()
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        await TopicProvisioner(settings.kafka).ensure({topic_for(settings.kafka, EVENT_TYPE)})
        await _dead_letter(settings, kind, envelope)
        async with _unwritable_audit(settings, kind):
            for args in (
                ("list", SUBSCRIBER),
                ("replay", SUBSCRIBER, "--all", "--yes"),
                ("purge", SUBSCRIBER, "--yes"),
            ):
                refused = await eda_dlq(*args)
                assert refused.code == 1, (args, refused.out, refused.err)
                assert refused.err.count("\n") == 1, refused.err
                assert refused.err.startswith("eda dlq: cannot write the audit record to ")
                assert refused.err.rstrip().endswith("; nothing was done"), refused.err
                assert "guest" not in refused.err
                if args[0] == "list":
                    assert envelope.id not in refused.out, "nothing listed"
        assert await _arrived(settings, kind) == [], "nothing replayed"
        kept = (await waiting())["dead_letters"]
        assert [letter["event_id"] for letter in kept] == [envelope.id], "nothing purged"


@contextlib.asynccontextmanager
async def _unwritable_audit(settings: Settings, kind: BrokerKind) -> AsyncIterator[None]:
    if kind is BrokerKind.KAFKA:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
        await admin.start()
        try:
            compacted = {"cleanup.policy": "compact"}
            topic = NewTopic(audit_topic(settings), 1, 1, topic_configs=compacted)
            await admin.create_topics([topic])
            try:
                yield
            finally:
                await admin.delete_topics([audit_topic(settings)])
        finally:
            await admin.close()
        return
    async with open_channel(settings.rabbitmq) as channel:
        await channel.declare_queue(audit_stream(settings), durable=True)  # a classic queue
    try:
        yield
    finally:
        async with open_channel(settings.rabbitmq) as channel:
            await channel.queue_delete(audit_stream(settings))


async def test_a_listed_subscriber_keeps_its_own_event_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--event-type is for subscribers outside the catalogue: it cannot send a listed
    subscriber's replays to another event type's topic."""
    monkeypatch.setenv("EDA_DEFAULT_BROKER", "kafka")
    monkeypatch.setenv("EDA_KAFKA__BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    moved = await eda_dlq("replay", SUBSCRIBER, "--all", "--yes", "--event-type", OTHER_TYPE)
    assert moved.code == 2, moved.err
    assert moved.err == (
        f"eda dlq: subscriber '{SUBSCRIBER}' handles {EVENT_TYPE}, not {OTHER_TYPE}"
        " (--event-type is for subscribers that shared.subscribers does not list)\n"
    )


async def test_a_principal_that_may_not_create_the_audit_stream_changes_nothing(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RabbitMQ permissions: the user may read and take the dead letters but not declare
    the audit stream; its purge fails closed, and its password is in no message."""
    settings = _settings_for(BrokerKind.RABBITMQ, kafka_bootstrap, monkeypatch)
    envelope = order_placed()
    prefix = re.escape(settings.rabbitmq.queue_prefix)
    not_the_audit = f"^{prefix}(?!{re.escape(AUDIT_NAME)}$).*"
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        await _dead_letter(settings, BrokerKind.RABBITMQ, envelope)
        with rabbitmq_user(tags=(), permissions=(not_the_audit, ".*", ".*")) as user:
            url = f"amqp://{user.name}:{user.password}@127.0.0.1:5672/"
            monkeypatch.setenv("EDA_RABBITMQ__URL", url)
            purged = await eda_dlq("purge", SUBSCRIBER, "--yes")
            monkeypatch.delenv("EDA_RABBITMQ__URL")
        assert purged.code == 1, purged.out + purged.err
        assert purged.err.startswith(
            f"eda dlq: cannot write the audit record to RabbitMQ stream {audit_stream(settings)}: "
        )
        assert "ACCESS_REFUSED" in purged.err
        assert purged.err.endswith("; nothing was done\n")
        assert user.password not in purged.err + purged.out
        kept = (await waiting())["dead_letters"]
        assert [letter["event_id"] for letter in kept] == [envelope.id], "nothing purged"
