"""`eda dlq` against real brokers, on dead letters made the real way.

A shared consumer (``create_consumer``) runs for the subscriber ``orders.order-placed``
under a test's own topic prefix or queue prefix, with a handler that refuses two
events, keeps failing on a third until its retries run out, and handles a fourth;
malformed bytes go to it as well, and on RabbitMQ one more event is returned until
the broker dead-letters it for the queue's delivery limit. Then the command lists,
shows, replays (one, then all, with the handler succeeding by then) and purges them.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from eda_cli.dlq.rabbitmq_store import REFRESH_AT
from eda_local.tansu import free_port
from shared.envelope import Envelope
from shared.messaging import (
    RoutingPublisher,
    Subscription,
    create_consumer,
    dead_letter_queue,
    dead_letter_topic_for,
    queue_name,
    topic_for,
)
from shared.settings import BrokerKind, Settings, load_settings
from tests.cli.dlq_support import (
    AUDIT_NAME,
    EVENT_TYPE,
    SUBSCRIBER,
    Handler,
    crash_loop,
    dead_letter_directly,
    delete_subscriber_queue,
    dlq_environment,
    eda_dlq,
    order_placed,
    rabbitmq_cleanup,
    waiting,
)
from tests.support.brokers import HARNESSES
from tests.support.brokers.protocol import RawMessage
from tests.support.consumers import running
from tests.support.polling import eventually
from tests.support.rabbitmq import open_channel

EDA = str(Path(sys.executable).parent / "eda")
MALFORMED = b"not json \x00\xff\xfe"


@pytest.mark.parametrize("kind", [BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def test_dead_letters_are_listed_shown_replayed_and_purged(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in dlq_environment(kind, kafka_bootstrap).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    subscription = Subscription(SUBSCRIBER, EVENT_TYPE)
    refused, flaky, healthy = [order_placed(), order_placed()], order_placed(), order_placed()
    crashed = order_placed()
    handler = Handler(refused={refused[0].id, refused[1].id}, flaky={flaky.id})
    publisher = RoutingPublisher(settings)
    try:
        async with rabbitmq_cleanup(settings, SUBSCRIBER):
            if kind is BrokerKind.RABBITMQ:
                await crash_loop(settings, subscription, publisher, crashed)
            consumer = create_consumer(settings, subscription, handler)
            async with running(consumer):
                await publisher.publish_many([refused[0], flaky, refused[1], healthy])
                await HARNESSES[kind](settings).publish_raw(
                    EVENT_TYPE, RawMessage(MALFORMED, key=b"raw")
                )
                expected = 5 if kind is BrokerKind.RABBITMQ else 4
                await eventually(
                    lambda: _total_is(expected), timeout=30, interval=0.2, what="dead letters"
                )
                await eventually(lambda: handler.handled == [healthy.id], what="the healthy one")

                by_event = await _listed(settings, kind, refused, flaky, crashed)
                oldest_first = (await waiting())["dead_letters"]
                await _overview_counts(kind, expected)
                await _shown(settings, kind, by_event, refused[0])
                if kind is BrokerKind.RABBITMQ:
                    await _listing_repeatedly_keeps_them(expected, by_event[refused[0].id])

                handler.failing = False
                # Not the oldest: on Kafka the one case that needs a marker, not just an offset.
                second = next(letter for letter in oldest_first[1:] if letter["event_id"])
                envelope = next(e for e in [*refused, flaky, crashed] if e.id == second["event_id"])
                await _replay_one(second, envelope, handler, expected)
                await _purge_declined(expected - 1)
                replayed_all = await eda_dlq("replay", SUBSCRIBER, "--all", "--yes")
                assert replayed_all.code == 0, replayed_all.err + replayed_all.out
                assert f"replayed {expected - 1} dead letters" in replayed_all.out
                handled = {refused[0].id, refused[1].id, flaky.id, healthy.id}
                if kind is BrokerKind.RABBITMQ:
                    handled.add(crashed.id)
                await eventually(lambda: set(handler.handled) == handled, what="replays handled")
                # The malformed bytes fail again and come back as a new dead letter.
                await eventually(lambda: _total_is(1), interval=0.2, what="malformed dead again")
                assert Counter(handler.handled) == dict.fromkeys(handled, 1)
            again = (await waiting())["dead_letters"]
            assert again[0]["reason"].startswith("NotJsonError"), again
            if kind is BrokerKind.KAFKA:
                assert again[0]["id"] != by_event[None]["id"], "a new record at a new offset"

            purged = await eda_dlq("purge", SUBSCRIBER, "--yes")
            assert purged.code == 0, purged.err
            assert purged.out.splitlines()[-1] == f"{SUBSCRIBER}: purged 1 dead letter"
            assert (await waiting())["total"] == 0
            assert (await eda_dlq("purge", SUBSCRIBER)).out.endswith("nothing to purge\n")
    finally:
        await publisher.close()


async def _total_is(count: int) -> bool:
    total: int | None = (await waiting())["total"]
    return total == count


async def _listed(
    settings: Settings,
    kind: BrokerKind,
    refused: list[Envelope],
    flaky: Envelope,
    crashed: Envelope,
) -> dict[str | None, dict[str, object]]:
    """Every dead letter with its reason and attempts, as JSON and as a table."""
    listing = await waiting()
    if kind is BrokerKind.KAFKA:
        assert (
            listing["location"]
            == f"Kafka topic {dead_letter_topic_for(settings.kafka, SUBSCRIBER)}"
        )
    else:
        queue = dead_letter_queue(queue_name(settings.rabbitmq, SUBSCRIBER))
        assert listing["location"] == f"RabbitMQ queue {queue}"
    by_event = {letter["event_id"]: letter for letter in listing["dead_letters"]}
    for envelope in refused:
        letter = by_event[envelope.id]
        assert letter["reason"] == f"PermanentError: order {envelope.subject} refused"
        assert letter["attempts"] == 1
    assert by_event[flaky.id]["reason"] == (
        "retries exhausted after 2 attempts: RuntimeError: database away"
    )
    assert by_event[flaky.id]["attempts"] == 2
    assert by_event[None]["reason"].startswith("NotJsonError"), by_event[None]
    assert by_event[None]["attempts"] == 0
    if kind is BrokerKind.RABBITMQ:
        letter = by_event[crashed.id]
        assert "delivery limit" in letter["reason"], letter
        assert letter["attempts"] is None
        assert letter["id"] == crashed.id
        # Not an envelope: the message id the dead-letter publication carries.
        assert by_event[None]["id"] not in by_event
    else:
        assert all(re.fullmatch(r"0:\d+", letter["id"]) for letter in by_event.values())
    assert all(letter["event_type"] == EVENT_TYPE for letter in by_event.values())
    assert all(letter["failed_at"] for letter in by_event.values())

    table = await eda_dlq("list", SUBSCRIBER)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].endswith(f"{len(by_event)} dead letters")
    assert lines[1].split() == [
        "ID",
        "EVENT",
        "TYPE",
        "FAILED",
        "AT",
        "ATTEMPTS",
        "EVENT",
        "ID",
        "REASON",
    ]
    row = next(line for line in lines if line.startswith(str(by_event[flaky.id]["id"]) + " "))
    cells = row.split()
    assert cells[1] == EVENT_TYPE
    assert cells[4] == "2", row
    assert "retries exhausted after 2" in row
    limited = await eda_dlq("list", SUBSCRIBER, "--limit", "2")
    assert len(limited.out.splitlines()) == 1 + 1 + 2 + 1
    assert (
        limited.out.splitlines()[-1]
        == f"... and {len(by_event) - 2} more (raise --limit to see them)"
    )
    return by_event


async def _overview_counts(kind: BrokerKind, expected: int) -> None:
    overview = (await eda_dlq("list", "--json")).json()
    counts = {row["subscriber"]: row["count"] for row in overview["subscribers"]}
    assert counts.pop(SUBSCRIBER) == expected
    assert set(counts.values()) == {None}, "no other subscriber has a dead-letter destination"
    assert overview["total"] == expected
    assert {row["broker"] for row in overview["subscribers"]} == {kind.value}
    if kind is BrokerKind.KAFKA:
        # The console script, as installed, gives the same answer.
        process = await asyncio.create_subprocess_exec(
            EDA, "dlq", "list", env=dict(os.environ), stdout=asyncio.subprocess.PIPE
        )
        stdout, _ = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0
        assert re.search(
            rf"^{re.escape(SUBSCRIBER)} +order\.placed +kafka +{expected} ", stdout.decode(), re.M
        )
        assert stdout.decode().splitlines()[-1] == f"total: {expected} dead letters"


async def _shown(
    settings: Settings,
    kind: BrokerKind,
    by_event: dict[str | None, dict[str, object]],
    refused: Envelope,
) -> None:
    letter = by_event[refused.id]
    shown = await eda_dlq("show", SUBSCRIBER, str(letter["id"]))
    assert shown.code == 0, shown.err
    assert f"reason:       PermanentError: order {refused.subject} refused" in shown.out
    assert "attempts:     1\n" in shown.out
    assert f"event id:     {refused.id}\n" in shown.out
    if kind is BrokerKind.KAFKA:
        assert re.search(
            rf"origin: +{re.escape(topic_for(settings.kafka, EVENT_TYPE))}/\d@\d+\n", shown.out
        )
        assert f"key:          {refused.subject}\n" in shown.out
    else:
        assert f"origin:       {settings.rabbitmq.exchange}/{EVENT_TYPE}\n" in shown.out
    assert "  x-dead-letter-subscriber: orders.order-placed\n" in shown.out
    assert re.search(r"^body \(\d+ bytes, JSON\):\n\{\n", shown.out, re.M), shown.out
    assert f'  "id": "{refused.id}",' in shown.out

    garbage = await eda_dlq("show", SUBSCRIBER, str(by_event[None]["id"]))
    assert f"body ({len(MALFORMED)} bytes, binary):" in garbage.out
    assert "6e 6f 74 20 6a 73 6f 6e 20 00 ff fe" in garbage.out

    missing = await eda_dlq("show", SUBSCRIBER, "7:99999" if kind is BrokerKind.KAFKA else "nope")
    assert missing.code == 1
    assert missing.err.startswith("eda dlq: no dead letter ")


async def _listing_repeatedly_keeps_them(expected: int, letter: dict[str, object]) -> None:
    """Each look returns the messages to the queue, which counts as a delivery; a message
    delivered often is replaced by a fresh copy, so no delivery limit ever drops one."""
    for _ in range(REFRESH_AT + 2):
        assert (await waiting())["total"] == expected
    shown = await eda_dlq("show", SUBSCRIBER, str(letter["id"]))
    count = re.search(r"x-delivery-count: (\d+)", shown.out)
    assert count is not None, shown.out
    assert int(count[1]) < REFRESH_AT, shown.out
    assert (await waiting())["total"] == expected


async def _replay_one(
    letter: dict[str, object], envelope: Envelope, handler: Handler, expected: int
) -> None:
    replayed = await eda_dlq("replay", SUBSCRIBER, str(letter["id"]))
    assert replayed.code == 0, replayed.err + replayed.out
    # The event id is shown where the id is not already the event id (Kafka).
    shown_as = f"{letter['id']} (order.placed)"
    if letter["id"] != envelope.id:
        shown_as = f"{letter['id']} (order.placed, event {envelope.id})"
    assert f"replayed {shown_as} to " in replayed.out
    assert replayed.out.splitlines()[-1] == f"{SUBSCRIBER}: replayed 1 dead letter"
    await eventually(lambda: envelope.id in handler.handled, what="the replayed event handled")
    listing = await waiting()
    assert listing["total"] == expected - 1
    assert envelope.id not in {entry["event_id"] for entry in listing["dead_letters"]}


async def _purge_declined(count: int) -> None:
    declined = await eda_dlq("purge", SUBSCRIBER, stdin="n\n")
    assert declined.code == 1
    assert f"Drop {count} dead letters of {SUBSCRIBER}" in declined.out
    assert declined.out.rstrip().endswith("aborted: nothing purged")
    assert (await waiting())["total"] == count


@pytest.mark.rabbitmq
async def test_errors_name_what_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDA_DEFAULT_BROKER", "kafka")
    monkeypatch.setenv("EDA_KAFKA__BOOTSTRAP_SERVERS", f"127.0.0.1:{free_port()}")
    unknown = await eda_dlq("list", "orders.order-placd")
    assert unknown.code == 2
    assert "unknown subscriber 'orders.order-placd'; known subscribers: " in unknown.err
    assert "orders.order-placed, orders.user-deactivated" in unknown.err

    kafka_down = await eda_dlq("list")
    assert kafka_down.code == 1
    assert kafka_down.err.count("\n") == 1
    assert "cannot reach Kafka at 127.0.0.1:" in kafka_down.err
    assert "(set by EDA_KAFKA__BOOTSTRAP_SERVERS)" in kafka_down.err

    monkeypatch.setenv("EDA_RABBITMQ__URL", f"amqp://guest:s3cret@127.0.0.1:{free_port()}/")
    rabbitmq_down = await eda_dlq("replay", SUBSCRIBER, "--all", "--broker", "rabbitmq")
    assert rabbitmq_down.code == 1
    assert rabbitmq_down.err.count("\n") == 1
    assert "(set by EDA_RABBITMQ__URL)" in rabbitmq_down.err
    assert "s3cret" not in rabbitmq_down.err

    monkeypatch.delenv("EDA_RABBITMQ__URL")
    monkeypatch.setenv("EDA_RABBITMQ__QUEUE_PREFIX", "dlq-absent.")
    try:
        other = await eda_dlq(
            "list", "billing.order-placed", "--event-type", EVENT_TYPE, "--broker", "rabbitmq"
        )
    finally:
        # The listing was written to the audit stream under that prefix.
        async with open_channel(load_settings().rabbitmq) as channel:
            await channel.queue_delete("dlq-absent." + AUDIT_NAME)
    assert other.code == 0, other.err
    assert other.out == (
        "billing.order-placed (rabbitmq, RabbitMQ queue dlq-absent.billing.order-placed.dlq):"
        " no dead-letter destination yet\n"
    )


@pytest.mark.parametrize("kind", [BrokerKind.KAFKA, BrokerKind.RABBITMQ], ids=["kafka", "rabbitmq"])
async def test_a_replay_the_broker_does_not_take_keeps_the_dead_letter(
    kind: BrokerKind, kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kafka: the subscriber's topic is gone; RabbitMQ: the subscriber's queue is gone
    (the broker returns the mandatory message). Either way nothing is removed."""
    for name, value in dlq_environment(kind, kafka_bootstrap).items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    envelope = order_placed()
    async with rabbitmq_cleanup(settings, SUBSCRIBER):
        source_topic = topic_for(settings.kafka, EVENT_TYPE)
        await dead_letter_directly(settings, kind, envelope, origin_topic=source_topic)
        if kind is BrokerKind.RABBITMQ:
            await delete_subscriber_queue(settings)
        before = (await waiting())["dead_letters"]
        assert [letter["event_id"] for letter in before] == [envelope.id]

        replayed = await eda_dlq("replay", SUBSCRIBER, "--all", "--yes")
        assert replayed.code == 1, replayed.out
        destination = (
            f"topic {source_topic}"
            if kind is BrokerKind.KAFKA
            else f"queue {queue_name(settings.rabbitmq, SUBSCRIBER)}"
        )
        assert f"failed {before[0]['id']}: {destination} does not exist" in replayed.out
        assert replayed.out.splitlines()[-1] == (
            f"{SUBSCRIBER}: replayed 0 dead letters, 1 failed and kept"
        )
        assert (await waiting())["dead_letters"] == before
