"""The broker harness for RabbitMQ: raw messages in and out with aio-pika."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, FieldValue
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import rabbitmq as ce_rabbitmq

from shared.messaging import Subscription, dead_letter_queue
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.settings import BrokerKind
from tests.support.brokers.base import HarnessBase
from tests.support.brokers.protocol import RawMessage, Tap
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, open_channel


@dataclass
class RabbitMQHarness(HarnessBase):
    kind: ClassVar[BrokerKind] = BrokerKind.RABBITMQ
    carries_message_ids: ClassVar[bool] = True

    def with_batch_size(self, size: int) -> RabbitMQHarness:
        return self.with_settings("rabbitmq", prefetch=size)

    def through(self, address: str) -> RabbitMQHarness:
        return self.with_settings("rabbitmq", url=f"amqp://guest:guest@{address}/")

    @contextlib.asynccontextmanager
    async def behind_fault_proxy(self) -> AsyncIterator[tuple[RabbitMQHarness, FaultProxy]]:
        async with fault_proxy("127.0.0.1", 5672) as proxy:
            yield self.through(proxy.address), proxy

    async def provision(self, subscription: Subscription) -> None:
        async with open_channel(self.settings.rabbitmq) as channel:
            await declare_subscriber_queue(channel, self.settings.rabbitmq, subscription)

    async def publish_raw(self, event_type: str, message: RawMessage) -> None:
        headers: dict[str, FieldValue] = dict(message.headers)
        if message.key:
            headers["subject"] = message.key.decode()
        outgoing = aio_pika.Message(
            message.body,
            headers=headers or None,
            content_type=message.content_type,
            message_id=message.message_id,
        )
        async with open_channel(self.settings.rabbitmq) as channel:
            exchange = await channel.get_exchange(self.settings.rabbitmq.exchange)
            await exchange.publish(outgoing, routing_key=event_type)

    async def read_dead_letters(self, subscriber: str, count: int) -> list[RawMessage]:
        async with open_channel(self.settings.rabbitmq) as channel:
            queue = await channel.get_queue(dead_letter_queue(subscriber))
            return await _take(queue, count)

    @contextlib.asynccontextmanager
    async def tap(self, event_type: str) -> AsyncIterator[Tap]:
        async with open_channel(self.settings.rabbitmq) as channel:
            queue = await channel.declare_queue(exclusive=True)
            await queue.bind(self.settings.rabbitmq.exchange, routing_key=event_type)
            yield Tap(lambda count: _take(queue, count))

    @contextlib.asynccontextmanager
    async def raw_session(self, subscriber: str) -> AsyncIterator[RabbitMQSession]:
        async with open_channel(self.settings.rabbitmq) as channel:
            yield RabbitMQSession(self, channel, subscriber)

    def cloudevent(self, message: RawMessage) -> BaseCloudEvent:
        return ce_rabbitmq.from_rabbitmq_event(
            ce_rabbitmq.RabbitMQMessage(
                headers=dict(message.headers),
                content_type=message.content_type,
                body=message.body,
            )
        )

    async def cleanup(self) -> None:
        await delete_topology(self.settings.rabbitmq, self.subscribers)


@dataclass
class RabbitMQSession:
    harness: RabbitMQHarness
    channel: AbstractChannel
    subscriber: str

    async def publish(self, event_type: str, bodies: Sequence[bytes], key: bytes) -> None:
        exchange = await self.channel.get_exchange(self.harness.settings.rabbitmq.exchange)
        for body in bodies:
            await exchange.publish(
                aio_pika.Message(body, headers={"subject": key.decode()}), routing_key=event_type
            )

    async def new_dead_letters(self) -> list[RawMessage]:
        queue = await self.channel.get_queue(dead_letter_queue(self.subscriber))
        found: list[RawMessage] = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            found.append(_from_delivery(message))
        return found


async def _take(queue: AbstractQueue, count: int) -> list[RawMessage]:
    found: list[RawMessage] = []

    async def enough() -> bool:
        message = await queue.get(no_ack=True, fail=False)
        if message is not None:
            found.append(_from_delivery(message))
        return len(found) >= count

    await eventually(enough, interval=0.0, what=f"{count} messages on {queue.name}")
    return found


def _from_delivery(message: AbstractIncomingMessage) -> RawMessage:
    headers = {name: str(value) for name, value in (message.headers or {}).items()}
    subject = headers.get("subject")
    return RawMessage(
        body=message.body,
        key=subject.encode() if subject else None,
        headers=headers,
        content_type=message.content_type,
        message_id=message.message_id,
    )
