"""Dead letters on RabbitMQ: the quorum queue ``<queue prefix><subscriber>.dlq``.

Messages are taken with ``basic.get`` and held unacknowledged: one that was acted
on is acknowledged (after its replay was confirmed), the others go back with
``basic.nack`` and requeue. A replay goes through the default exchange straight
into the subscriber's own queue, mandatory and confirmed, so no other queue bound
to the event type gets a second copy.

Every return counts as a delivery on RabbitMQ 4.0 to 4.2, whose quorum queues drop
a message delivered 20 times by default: a message held back that has been
delivered ``REFRESH_AT`` times is replaced by a fresh copy (published and confirmed
before the old one is acknowledged), so looking at a dead letter never loses it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aio_pika
from aio_pika import DeliveryMode
from aio_pika.abc import (
    AbstractChannel,
    AbstractConnection,
    AbstractIncomingMessage,
    AbstractQueue,
    FieldValue,
)
from aio_pika.exceptions import (
    AMQPConnectionError,
    AMQPError,
    ChannelNotFoundEntity,
    PublishError,
)

from eda_cli.dlq.records import DeadLetter, dead_letter, stable_id
from eda_cli.dlq.store import (
    REPLAYED_FROM,
    Approve,
    BrokerUnreachableError,
    DeadLetterNotFoundError,
    Outcome,
    Progress,
)
from eda_cli.dlq.targets import Target
from shared.envelope import STRUCTURED_CONTENT_TYPE
from shared.links import connect_rabbitmq
from shared.messaging import dead_letter_queue, queue_name
from shared.settings import RabbitMQSettings
from shared.telemetry.trace_context import TRACEPARENT, TRACESTATE

DELIVERY_COUNT = "x-delivery-count"
REFRESH_AT = 10
_REPLAYED_HEADERS = ("subject", TRACEPARENT, TRACESTATE)


@dataclass
class _Held:
    delivery: AbstractIncomingMessage
    letter: DeadLetter
    settled: bool = False


@dataclass
class _Taken:
    channel: AbstractChannel
    held: list[_Held]


class RabbitMQDeadLetterStore:
    def __init__(self, settings: RabbitMQSettings, target: Target) -> None:
        self._settings = settings
        self.queue = queue_name(settings, target.subscriber)
        self.dead_letter_queue = dead_letter_queue(self.queue)
        self.location = f"RabbitMQ queue {self.dead_letter_queue}"
        self._connection: AbstractConnection | None = None

    async def start(self) -> None:
        try:
            self._connection = await connect_rabbitmq(self._settings)
        except (AMQPConnectionError, OSError) as exc:
            raise BrokerUnreachableError(
                f"cannot reach RabbitMQ at {_without_password(self._settings.url)}"
                f" (set by EDA_RABBITMQ__URL): {exc}"
            ) from None

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    async def count(self) -> int | None:
        async with self._channel() as channel:
            queue = await self._queue(channel)
            if queue is None:
                return None
            return queue.declaration_result.message_count or 0

    async def read(self, limit: int | None = None) -> list[DeadLetter]:
        async with self._take(limit) as taken:
            return [item.letter for item in taken.held]

    async def find(self, letter_id: str) -> DeadLetter:
        async with self._take(None, until=letter_id) as taken:
            return self._chosen(taken.held, letter_id)[0].letter

    async def replay(
        self, letter_id: str | None, limit: int | None, approve: Approve, progress: Progress
    ) -> Outcome:
        outcome = Outcome()
        async with self._take(limit, until=letter_id) as taken:
            for item in await _approved(approve, self._chosen(taken.held, letter_id)):
                try:
                    await _publish(taken.channel, self._replayed(item), self.queue)
                    await item.delivery.ack()
                except PublishError:
                    outcome.failed.append(
                        (item.letter, f"queue {self.queue} does not exist (the broker returned it)")
                    )
                    continue
                except AMQPError as exc:
                    outcome.failed.append((item.letter, _error(exc)))
                    continue
                item.settled = True
                outcome.done.append(item.letter)
                progress(item.letter, f"queue {self.queue}")
        return outcome

    async def purge(self, limit: int | None, approve: Approve, progress: Progress) -> Outcome:
        outcome = Outcome()
        async with self._take(limit) as taken:
            for item in await _approved(approve, taken.held):
                await item.delivery.ack()
                item.settled = True
                outcome.done.append(item.letter)
                progress(item.letter, "")
        return outcome

    @contextlib.asynccontextmanager
    async def _channel(self) -> AsyncIterator[AbstractChannel]:
        if self._connection is None:
            raise RuntimeError("RabbitMQDeadLetterStore.start() was not awaited")
        channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
        try:
            yield channel
        finally:
            if not channel.is_closed:
                await channel.close()

    async def _queue(self, channel: AbstractChannel) -> AbstractQueue | None:
        try:
            return await channel.declare_queue(self.dead_letter_queue, passive=True)
        except ChannelNotFoundEntity:
            return None  # the passive declaration closed the channel

    @contextlib.asynccontextmanager
    async def _take(self, limit: int | None, until: str | None = None) -> AsyncIterator[_Taken]:
        """The first ``limit`` messages waiting now (or up to the one with id ``until``),
        unacknowledged; what is left unsettled goes back when the block ends."""
        async with self._channel() as channel:
            queue = await self._queue(channel)
            if queue is None:
                yield _Taken(channel, [])
                return
            waiting = queue.declaration_result.message_count or 0
            held: list[_Held] = []
            try:
                while len(held) < min(waiting, limit if limit is not None else waiting):
                    delivery = await queue.get(no_ack=False, fail=False)
                    if delivery is None:
                        break
                    held.append(_Held(delivery, _letter(delivery)))
                    if until is not None and held[-1].letter.id == until:
                        break
                yield _Taken(channel, held)
            finally:
                await self._give_back(channel, [item for item in held if not item.settled])

    async def _give_back(self, channel: AbstractChannel, held: list[_Held]) -> None:
        for item in held:
            delivery = item.delivery
            count = (delivery.headers or {}).get(DELIVERY_COUNT)
            if isinstance(count, int) and count >= REFRESH_AT:
                try:
                    await _publish(channel, _fresh_copy(delivery), self.dead_letter_queue)
                    await delivery.ack()
                    continue
                except AMQPError:
                    pass  # keep the old one
            with contextlib.suppress(AMQPError):  # a closed channel returns it anyway
                await delivery.nack(requeue=True)

    def _chosen(self, held: list[_Held], letter_id: str | None) -> list[_Held]:
        if letter_id is None:
            return held
        chosen = [item for item in held if item.letter.id == letter_id][:1]
        if not chosen:
            raise DeadLetterNotFoundError(
                f"no dead letter {letter_id} waiting in {self.location}"
                " (ids are the CloudEvents id, the message id or sha-<digest>,"
                " as `eda dlq list` shows them)"
            )
        return chosen

    def _replayed(self, item: _Held) -> aio_pika.Message:
        """The original bytes as the subscriber receives them from a publisher: subject
        and trace headers kept, the dead-letter headers left behind."""
        delivery = item.delivery
        original = delivery.headers or {}
        headers: dict[str, FieldValue] = {
            name: original[name] for name in _REPLAYED_HEADERS if name in original
        }
        headers[REPLAYED_FROM] = self.dead_letter_queue
        return aio_pika.Message(
            delivery.body,
            content_type=delivery.content_type or STRUCTURED_CONTENT_TYPE,
            delivery_mode=DeliveryMode.PERSISTENT,
            message_id=delivery.message_id or item.letter.event_id,
            headers=headers,
        )


async def _approved(approve: Approve, held: list[_Held]) -> list[_Held]:
    """The held messages ``approve`` keeps; the others go back unsettled."""
    kept = {id(letter) for letter in await approve([item.letter for item in held])}
    return [item for item in held if id(item.letter) in kept]


async def _publish(channel: AbstractChannel, message: aio_pika.Message, queue: str) -> None:
    """Into ``queue`` through the default exchange, confirmed; raises if the queue does
    not exist (the broker returns the message) or the broker refuses it."""
    await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)


def _letter(delivery: AbstractIncomingMessage) -> DeadLetter:
    headers = delivery.headers or {}
    subject = headers.get("subject")
    return dead_letter(
        stable_id(delivery.body, delivery.message_id),
        delivery.body,
        subject.encode() if isinstance(subject, str) else None,
        headers,
        delivery.content_type,
    )


def _fresh_copy(delivery: AbstractIncomingMessage) -> aio_pika.Message:
    headers = dict(delivery.headers or {})
    headers.pop(DELIVERY_COUNT, None)
    return aio_pika.Message(
        delivery.body,
        headers=headers,
        content_type=delivery.content_type,
        content_encoding=delivery.content_encoding,
        delivery_mode=DeliveryMode.PERSISTENT,
        message_id=delivery.message_id,
        correlation_id=delivery.correlation_id,
        timestamp=delivery.timestamp,
        type=delivery.type,
        app_id=delivery.app_id,
    )


def _error(exc: AMQPError) -> str:
    return str(exc) or type(exc).__name__


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
