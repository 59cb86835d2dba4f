"""Consume a subscriber's quorum queue; acknowledge only after processing.

Deliveries are processed in arrival order (so per-subject order holds), each
drained run of buffered deliveries as one run (one batch handler call when there
is a batch handler), and acknowledged with one ``multiple`` ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.exceptions import AMQPError, ChannelInvalidStateError

from shared.links.rabbitmq import connect_rabbitmq_robust, rabbitmq_address
from shared.messaging.processor import MessageProcessor
from shared.messaging.protocols import BatchHandler, Handler, IncomingMessage, Subscription
from shared.messaging.rabbitmq.dead_letters import RabbitMQDeadLetters
from shared.messaging.rabbitmq.topology import declare_subscriber_queue
from shared.settings import DEFAULT_MAX_MESSAGE_BYTES, RabbitMQSettings, RetrySettings
from shared.telemetry.metrics import RABBITMQ_QUEUE_DEPTH, SUBSCRIBER_BACKLOG, SUBSCRIBER_IDLE
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE
from shared.telemetry.tracing import tracer

log = logging.getLogger(__name__)

_END = None
_DEPTH_INTERVAL_S = 5.0


class RabbitMQConsumer:
    def __init__(
        self,
        settings: RabbitMQSettings,
        retry: RetrySettings,
        subscription: Subscription,
        handler: Handler,
        *,
        batch_handler: BatchHandler | None = None,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self._settings = settings
        self._subscription = subscription
        self._dead_letters = RabbitMQDeadLetters(subscription)
        self._processor = MessageProcessor(
            subscription,
            handler,
            self._dead_letters,
            retry,
            batch_handler=batch_handler,
            max_message_bytes=max_message_bytes,
            system="rabbitmq",
            destination=subscription.event_type,
        )
        self._buffer: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        self._stopping = asyncio.Event()
        self._ready = False
        self._in_progress = 0

    @property
    def ready(self) -> bool:
        return self._ready

    def stop(self) -> None:
        self._stopping.set()
        self._processor.stop()

    async def run(self) -> None:
        connection = await connect_rabbitmq_robust(self._settings)
        try:
            channel = await connection.channel(publisher_confirms=True)
            await channel.set_qos(prefetch_count=self._settings.prefetch)
            queue, dlx = await declare_subscriber_queue(channel, self._settings, self._subscription)
            self._dead_letters.bind(dlx)
            worker = asyncio.create_task(self._work())
            depth = asyncio.create_task(self._measure_depth(connection, queue.name))
            try:
                tag = await queue.consume(self._buffer.put, no_ack=False)
                self._ready = True
                log.info(
                    "%s ready: %s from RabbitMQ at %s (queue %s)",
                    self._subscription.subscriber,
                    self._subscription.event_type,
                    rabbitmq_address(self._settings.url),
                    queue.name,
                )
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
                depth.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await depth
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
        self._in_progress = len(deliveries)
        try:
            done = await self._processor.process_many([self._incoming(d) for d in deliveries])
            if done:
                await self._ack(deliveries[done - 1])
        finally:
            self._in_progress = 0
        return len(deliveries) == len(batch) and done == len(deliveries)

    def _incoming(self, delivery: AbstractIncomingMessage) -> IncomingMessage:
        headers = delivery.headers or {}
        subject = headers.get("subject")
        return IncomingMessage(
            body=delivery.body,
            key=subject.encode() if isinstance(subject, str) else None,
            origin=f"{delivery.exchange}/{delivery.routing_key}",
            trace_headers=_trace_headers(headers) if tracer() is not None else None,
            raw=delivery,
        )

    async def _measure_depth(self, connection: aio_pika.abc.AbstractConnection, queue: str) -> None:
        """Messages ready in the queue every few seconds, on a channel of its own (a
        failed passive declare closes its channel), and the subscriber's idle seconds
        while messages wait: ready ones, or delivered ones not yet acknowledged (with a
        stuck handler, all of them may be delivered). Best effort: while the connection
        is being re-established the gauges keep their last values."""
        gauge = RABBITMQ_QUEUE_DEPTH.labels(self._subscription.subscriber, queue)
        idle = SUBSCRIBER_IDLE.labels(self._subscription.subscriber)
        backlog = SUBSCRIBER_BACKLOG.labels(self._subscription.subscriber)
        channel: aio_pika.abc.AbstractChannel | None = None
        try:
            while True:
                try:
                    if channel is None or channel.is_closed:
                        channel = await connection.channel()
                    declared = await channel.declare_queue(queue, passive=True)
                    depth = declared.declaration_result.message_count or 0
                    gauge.set(depth)
                    held = self._buffer.qsize() + self._in_progress
                    backlog.set(depth + held)
                    idle.set(self._processor.progress.idle_seconds(depth + held))
                except Exception as exc:  # a measurement never stops the consumer
                    log.debug("reading the depth of %s failed: %s", queue, exc)
                await asyncio.sleep(_DEPTH_INTERVAL_S)
        finally:
            if channel is not None:
                with contextlib.suppress(Exception):
                    await channel.close()

    async def _ack(self, delivery: AbstractIncomingMessage) -> None:
        try:
            await delivery.ack(multiple=True)
        except (ChannelInvalidStateError, AMQPError) as exc:
            # The channel was lost: the broker redelivers these; idempotency absorbs it.
            log.warning("ack failed, messages will be redelivered: %s", exc)


def _trace_headers(headers: Mapping[str, object]) -> tuple[str, str | None] | None:
    traceparent = headers.get(TRACEPARENT)
    if not isinstance(traceparent, str):
        return None
    tracestate = headers.get(TRACESTATE)
    return traceparent, tracestate if isinstance(tracestate, str) else None
