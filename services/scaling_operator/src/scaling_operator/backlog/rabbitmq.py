"""RabbitMQ queue depth: ready plus unacknowledged messages, read two ways.

A passive queue declaration over AMQP reports only the ready messages, but at
once. The management API's ``messages`` also counts what consumers hold
unacknowledged (work in flight), but it is a statistic refreshed every few seconds
(``collect_statistics_interval``, 5 s by default). Both are returned;
``decisions.queue_backlog`` combines them.
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import quote

import aiohttp
from aio_pika.exceptions import AMQPError, ChannelNotFoundEntity

from scaling_operator.backlog.failures import describe, misconfigured
from scaling_operator.decisions import BacklogUnavailable, QueueCounts
from scaling_operator.management import get_json
from scaling_operator.settings import ManagementEndpoint
from scaling_operator.spec import RabbitMQSource
from shared.links import LinkMisconfigured, connect_rabbitmq, rabbitmq_address
from shared.settings import RabbitMQSettings

_NOT_FOUND = 404


class _QueueMissingError(LookupError):
    pass


class _UnreadableError(RuntimeError):
    pass


async def read_queue_depth(
    settings: RabbitMQSettings,
    management: ManagementEndpoint,
    source: RabbitMQSource,
    timeout_s: float,
) -> QueueCounts | BacklogUnavailable:
    queue = source.queue
    try:
        async with asyncio.timeout(timeout_s):
            counted = await _counted_messages(management, queue)
            ready = await _ready_messages(settings, queue)
    except _QueueMissingError:
        return BacklogUnavailable(
            "QueueNotFound", f"RabbitMQ queue {queue!r} does not exist", broker_reachable=True
        )
    except LinkMisconfigured as exc:
        return misconfigured(exc)
    except _UnreadableError as exc:
        return BacklogUnavailable("BrokerUnreachable", str(exc), broker_reachable=False)
    except TimeoutError:
        return BacklogUnavailable(
            "BrokerUnreachable",
            f"RabbitMQ did not answer within {timeout_s:g}s",
            broker_reachable=False,
        )
    if counted is None:
        # A queue declared moments ago has no statistics yet: unknown is not zero.
        return BacklogUnavailable(
            "StatisticsPending",
            f"RabbitMQ has no message count for queue {queue!r} yet",
            broker_reachable=True,
        )
    return QueueCounts(counted=counted, ready=ready)


async def _counted_messages(management: ManagementEndpoint, queue: str) -> int | None:
    """Ready plus unacknowledged, as of the last statistics; None before the first."""
    path = f"/api/queues/{quote(management.vhost, safe='')}/{quote(queue, safe='')}"
    try:
        status, body = await get_json(management, path, {"columns": "name,messages"})
    except (aiohttp.ClientError, OSError, ValueError) as exc:
        raise _UnreadableError(
            f"RabbitMQ management API at {management.base_url} could not be read: {describe(exc)}"
        ) from exc
    if status == _NOT_FOUND:
        raise _QueueMissingError(queue)
    if body is None:
        raise _UnreadableError(
            f"RabbitMQ management API at {management.base_url} answered {status}"
        )
    messages = body.get("messages") if isinstance(body, dict) else None
    return messages if isinstance(messages, int) else None


async def _ready_messages(settings: RabbitMQSettings, queue: str) -> int:
    address = rabbitmq_address(settings.url)  # host and port only: the URL has the password
    try:
        connection = await connect_rabbitmq(settings)
    except (AMQPError, OSError) as exc:
        raise _UnreadableError(
            f"RabbitMQ at {address} could not be reached: {describe(exc)}"
        ) from exc
    try:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return int(declared.declaration_result.message_count or 0)
    except ChannelNotFoundEntity as exc:
        raise _QueueMissingError(queue) from exc
    except (AMQPError, OSError) as exc:
        raise _UnreadableError(f"RabbitMQ at {address}: {describe(exc)}") from exc
    finally:
        with contextlib.suppress(AMQPError, OSError):
            await connection.close()
