"""The audit record on RabbitMQ: the stream ``<queue prefix>eda.dlq.audit``.

A stream, not a queue: reading it takes nothing away, so every reader sees every
entry, and it keeps them until its retention says otherwise (none is set: kept until
an operator adds a ``max-age`` policy). The tool declares it only when it is missing
(``configure`` right needed then, not after: an administrator can create it and
withhold that right, which is also the right to delete it), and checks it is a
stream by subscribing at its end (any other queue type refuses a stream offset).
Entries go through the default exchange, mandatory and confirmed. Reading appends its
own entry, with a fresh message id, and consumes from the first offset until that
entry comes back: a stream has no end a client could ask for.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity, ChannelPreconditionFailed

from eda_cli.dlq.audit import AUDIT_NAME, AuditUnavailableError, Entry, one_line
from shared.links import LinkMisconfigured, connect_rabbitmq
from shared.settings import RabbitMQSettings

STREAM_ARGUMENTS: dict[str, Any] = {"x-queue-type": "stream"}
READ_TIMEOUT_S = 30.0
_PREFETCH = 200


class RabbitMQAuditLog:
    def __init__(self, settings: RabbitMQSettings) -> None:
        self._settings = settings
        self.stream = settings.queue_prefix + AUDIT_NAME
        self.location = f"RabbitMQ stream {self.stream}"
        self._connection: AbstractConnection | None = None
        self._checked = False

    async def append(self, entry: Mapping[str, Any]) -> None:
        try:
            connection = await self._connected()
            await self._check_stream(connection)
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            try:
                message = aio_pika.Message(
                    json.dumps(entry).encode(),
                    content_type="application/json",
                    delivery_mode=DeliveryMode.PERSISTENT,
                    message_id=str(entry["entry"]),
                )
                await channel.default_exchange.publish(
                    message, routing_key=self.stream, mandatory=True
                )
            finally:
                if not channel.is_closed:
                    await channel.close()
        except ChannelPreconditionFailed as exc:
            raise self._unwritable(f"it is not a stream ({one_line(exc)})") from None
        except (AMQPError, OSError, LinkMisconfigured) as exc:
            raise self._unwritable(one_line(exc)) from None

    async def read(self, reading: Mapping[str, Any]) -> list[Entry]:
        await self.append(reading)
        try:
            return await asyncio.wait_for(self._read_to(str(reading["entry"])), READ_TIMEOUT_S)
        except TimeoutError:
            raise AuditUnavailableError(f"reading {self.location} did not reach its end") from None
        except (AMQPError, OSError) as exc:
            raise AuditUnavailableError(
                f"cannot read the audit record in {self.location}: {one_line(exc)}"
            ) from None

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def _connected(self) -> AbstractConnection:
        if self._connection is None:
            self._connection = await connect_rabbitmq(self._settings)
        return self._connection

    async def _check_stream(self, connection: AbstractConnection) -> None:
        """Declare the stream if it is missing; make sure what has the name is a stream."""
        if self._checked:
            return
        channel = await connection.channel()
        try:
            try:
                stream = await channel.declare_queue(self.stream, passive=True)
            except ChannelNotFoundEntity:  # the failed passive declaration closed the channel
                channel = await connection.channel()
                stream = await channel.declare_queue(
                    self.stream, durable=True, arguments=STREAM_ARGUMENTS
                )
            await channel.set_qos(prefetch_count=1)
            tag = await stream.consume(_ignore, arguments={"x-stream-offset": "next"})
            await stream.cancel(tag)
        finally:
            if not channel.is_closed:
                await channel.close()
        self._checked = True

    def _unwritable(self, why: str) -> AuditUnavailableError:
        return AuditUnavailableError(f"cannot write the audit record to {self.location}: {why}")

    async def _read_to(self, last: str) -> list[Entry]:
        connection = await self._connected()
        channel = await connection.channel()
        entries: list[Entry] = []
        reached = asyncio.Event()

        async def take(delivery: AbstractIncomingMessage) -> None:
            if reached.is_set():
                return
            entries.append(_parsed(delivery.body))
            await delivery.ack()
            if delivery.message_id == last:
                reached.set()

        try:
            await channel.set_qos(prefetch_count=_PREFETCH)
            stream = await channel.declare_queue(self.stream, passive=True)
            await stream.consume(take, arguments={"x-stream-offset": "first"})
            await reached.wait()
        finally:
            if not channel.is_closed:
                await channel.close()
        return entries


async def _ignore(delivery: AbstractIncomingMessage) -> None:
    """The check subscribes at the end of the stream: nothing arrives before it stops."""


def _parsed(body: bytes) -> Entry:
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return parsed
    return {"unreadable": body[:200].decode(errors="replace")}
