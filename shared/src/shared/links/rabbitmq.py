"""Every RabbitMQ connection, from ``EDA_RABBITMQ__*``: the URL (``amqps://`` for TLS)
and, for a private CA or mutual TLS, the CA, certificate and key files. The publisher,
the consumer, ``eda dlq``, the operator and ``make run`` connect here."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from aiormq.exceptions import AuthenticationError, ProbableAuthenticationError

from shared.links import library_logs
from shared.links.library_logs import held_while_starting
from shared.links.problems import LinkMisconfigured
from shared.links.tls import causes, client_context, describe_tls_failure, speaks_tls
from shared.settings import RabbitMQSettings

LINK = "RabbitMQ"
PREFIX = "EDA_RABBITMQ__"


def rabbitmq_address(url: str) -> str:
    """Host and port only: the URL carries the password."""
    parts = urlsplit(url)
    default = 5671 if parts.scheme == "amqps" else 5672
    return f"{parts.hostname}:{parts.port or default}"


def rabbitmq_ssl_context(settings: RabbitMQSettings) -> ssl.SSLContext | None:
    """The context of an ``amqps://`` URL (None for ``amqp://``): the system's CAs
    unless a CA file is set, hostname checked."""
    if not settings.url.startswith("amqps://"):
        return None
    return client_context(
        link=LINK,
        address=rabbitmq_address(settings.url),
        prefix=PREFIX,
        names=("SSL_CAFILE", "SSL_CERTFILE", "SSL_KEYFILE"),
        files=(settings.ssl_cafile, settings.ssl_certfile, settings.ssl_keyfile),
    )


async def connect_rabbitmq_robust(settings: RabbitMQSettings) -> AbstractRobustConnection:
    """A connection that reconnects by itself once it was up (publisher, consumer)."""
    with held_while_starting(library_logs.RABBITMQ):
        try:
            return await aio_pika.connect_robust(
                settings.url, ssl_context=rabbitmq_ssl_context(settings)
            )
        except Exception as exc:
            await _raise_if_misconfigured(settings, exc)
            raise


async def connect_rabbitmq(settings: RabbitMQSettings) -> AbstractConnection:
    """A plain connection, for short tasks (topology, readings, ``eda dlq``)."""
    with held_while_starting(library_logs.RABBITMQ):
        try:
            return await aio_pika.connect(settings.url, ssl_context=rabbitmq_ssl_context(settings))
        except Exception as exc:
            await _raise_if_misconfigured(settings, exc)
            raise


async def _raise_if_misconfigured(settings: RabbitMQSettings, failure: BaseException) -> None:
    problem = rabbitmq_problem(settings, failure)
    if problem is None and _closed_on_us(failure) and await _plaintext_to_tls(settings.url):
        problem = LinkMisconfigured(
            LINK,
            rabbitmq_address(settings.url),
            "it speaks TLS but the URL is amqp://",
            f"{PREFIX}URL (amqps://)",
        )
    if problem is not None:
        raise problem from None


def _closed_on_us(failure: BaseException) -> bool:
    return any(
        isinstance(cause, ConnectionResetError | ConnectionAbortedError | EOFError)
        or "reset" in str(cause).lower()
        or "closed" in str(cause).lower()
        for cause in causes(failure)
    )


async def _plaintext_to_tls(url: str) -> bool:
    if url.startswith("amqps://"):
        return False
    host, _, port = rabbitmq_address(url).rpartition(":")
    return await speaks_tls(host, int(port))


def rabbitmq_problem(
    settings: RabbitMQSettings, failure: BaseException
) -> LinkMisconfigured | None:
    address = rabbitmq_address(settings.url)
    if isinstance(failure, AuthenticationError | ProbableAuthenticationError):
        return LinkMisconfigured(
            LINK, address, "it refused the user name or password", f"{PREFIX}URL (its user info)"
        )
    for cause in causes(failure):
        tls = describe_tls_failure(cause)
        if tls is None:
            continue
        if "client certificate" in tls:
            setting = f"{PREFIX}SSL_CERTFILE and {PREFIX}SSL_KEYFILE"
        elif "speak TLS" in tls:
            setting = f"{PREFIX}URL (amqp:// for a plaintext port)"
        else:
            setting = f"{PREFIX}SSL_CAFILE"
        return LinkMisconfigured(LINK, address, tls, setting)
    return None
