"""A process's links tried once at start, so a misconfigured one stops it with one line
before it serves, rather than a relay retrying a wrong password for ever. An unreachable
broker is only reported: the relay and the consumers retry it as always."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

from aiokafka.admin import AIOKafkaAdminClient

from shared.links.kafka import kafka_client_options, start_kafka_client
from shared.links.problems import LinkMisconfigured
from shared.links.rabbitmq import connect_rabbitmq, rabbitmq_address
from shared.settings import BrokerKind, Settings

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 15.0


def routed_brokers(settings: Settings) -> set[BrokerKind]:
    return {settings.default_broker, *settings.routes.values()}


async def check_broker_links(
    settings: Settings,
    brokers: set[BrokerKind] | None = None,
    timeout_s: float = CHECK_TIMEOUT_S,
) -> None:
    """Connect once to each broker in ``brokers`` (default: every broker routing names);
    raise LinkMisconfigured, or log that a broker is not reachable yet."""
    for broker in sorted(brokers if brokers is not None else routed_brokers(settings)):
        if broker is BrokerKind.KAFKA:
            await try_link(
                "Kafka", settings.kafka.bootstrap_servers, timeout_s, _check_kafka(settings)
            )
        else:
            address = rabbitmq_address(settings.rabbitmq.url)
            await try_link("RabbitMQ", address, timeout_s, _check_rabbitmq(settings))


class LinkUnavailable(Exception):
    """An outage whose message names no secret (an HTTP status, say): shown as it is."""


async def try_link(link: str, address: str, timeout_s: float, attempt: Awaitable[None]) -> None:
    """Await ``attempt``: LinkMisconfigured goes through; anything else (refused, timed
    out) is an outage, logged once, and retried by whoever uses the link."""
    try:
        async with asyncio.timeout(timeout_s):
            await attempt
    except LinkMisconfigured:
        raise
    except Exception as exc:
        if isinstance(exc, TimeoutError):
            why = "timed out"
        elif isinstance(exc, LinkUnavailable):
            why = str(exc)
        else:  # a library's message may carry a URL with its password
            why = type(exc).__name__
        log.warning("%s at %s is not reachable yet (%s); it is retried", link, address, why)


async def _check_kafka(settings: Settings) -> None:
    admin = AIOKafkaAdminClient(
        **kafka_client_options(settings.kafka),
        request_timeout_ms=settings.kafka.request_timeout_ms,
    )
    try:
        await start_kafka_client(admin, settings.kafka)
    finally:
        with contextlib.suppress(Exception):
            await admin.close()


async def _check_rabbitmq(settings: Settings) -> None:
    connection = await connect_rabbitmq(settings.rabbitmq)
    await connection.close()
