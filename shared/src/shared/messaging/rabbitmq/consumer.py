"""Consume a subscriber's quorum queue; acknowledge only after processing.

Deliveries are processed in arrival order (so per-subject order holds), each
drained run of buffered deliveries as one run (one batch handler call when there
is a batch handler), and acknowledged with one ``multiple`` ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from shared.messaging.processor import MessageProcessor
from shared.messaging.rabbitmq.dead_letters import RabbitMQDeadLetters
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.messaging.types import BatchHandler, Handler, IncomingMessage, Subscription
from shared.settings import RabbitMQSettings, RetrySettings

log = logging.getLogger(__name__)

_END = None


class RabbitMQConsumer:
    def __init__(
        self,
        settings: RabbitMQSettings,
        retry: RetrySettings,
        subscription: Subscription,
        handler: Handler,
        *,
        batch_handler: BatchHandler | None = None,
    ) -> None:
        self._settings = settings
        self._subscription = subscription
        self._dead_letters = RabbitMQDeadLetters(subscription)
        self._processor = MessageProcessor(
            subscription, handler, self._dead_letters, retry, batch_handler=batch_handler
        )
        self._buffer: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._ready = False

    @property
    def ready(self) -> bool:
        return self._ready

    def stop(self) -> None:
        self._stopping.set()
        self._processor.stop()

    async def run(self) -> None:
        connection = await aio_pika.connect_robust(self._settings.url)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=self._settings.prefetch)
            queue, dlx = await declare_subscriber_queue(channel, self._settings, self._subscription)
            self._dead_letters.bind(dlx)
            worker = asyncio.create_task(self._work())
            try:
                tag = await queue.consume(self._buffer.put, no_ack=False)
                self._ready = True
                await self._stopping.wait()
                self._ready = False
                try:
                    await queue.cancel(tag)
                except AMQPError as exc:
                    log.warning("cancelling the consumer failed: %s", exc)
                self._buffer.put_nowait(_END)
                await worker
            finally:
                self._ready = False
                if not worker.done():
                    worker.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await worker
        finally:
            await connection.close()

    async def _work(self) -> None:
        while True:
            first = await self._buffer.get()
            if first is _END:
                return
            batch: list[AbstractIncomingMessage | None] = [first]
            while not self._buffer.empty() and len(batch) < self._settings.prefetch:
                batch.append(self._buffer.get_nowait())
            if not await self._process_batch(batch):
                return

    async def _process_batch(self, batch: list[AbstractIncomingMessage | None]) -> bool:
        """Process in order, ack what finished; False at the end marker or on abandonment."""
        deliveries: list[AbstractIncomingMessage] = []
        for delivery in batch:
            if delivery is _END:
                break
            deliveries.append(delivery)
        done = await self._processor.process_many([self._incoming(d) for d in deliveries])
        if done:
            await self._ack(deliveries[done - 1])
        return len(deliveries) == len(batch) and done == len(deliveries)

    def _incoming(self, delivery: AbstractIncomingMessage) -> IncomingMessage:
        subject = (delivery.headers or {}).get("subject")
        return IncomingMessage(
            body=delivery.body,
            key=subject.encode() if isinstance(subject, str) else None,
            origin=f"{delivery.exchange}/{delivery.routing_key}",
        )

    async def _ack(self, delivery: AbstractIncomingMessage) -> None:
        try:
            await delivery.ack(multiple=True)
        except (ChannelInvalidStateError, AMQPError) as exc:
            # The channel was lost: the broker redelivers these; idempotency absorbs it.
            log.warning("ack failed, messages will be redelivered: %s", exc)
