"""Every Kafka client's connection options, from ``EDA_KAFKA__*``: the producer, the
consumer, topic creation, the operator's lag reader and ``eda dlq`` all start here, and
a failed start is told apart: misconfigured (stop, one line) or unreachable (retry)."""

from __future__ import annotations

import asyncio
import ssl
from typing import Any, Protocol

from aiokafka import errors as kafka_errors
from aiokafka.conn import create_conn

from shared.links import library_logs
from shared.links.addresses import first_host_port
from shared.links.library_logs import held_while_starting
from shared.links.oauth import ClientCredentials, ClientCredentialsTokens
from shared.links.problems import LinkMisconfigured
from shared.links.tls import (
    HANDSHAKE_TIMEOUT_S,
    client_context,
    closed,
    describe_tls_failure,
    speaks_tls,
)
from shared.settings import KafkaSettings

LINK = "Kafka"
PREFIX = "EDA_KAFKA__"
PROBE_TIMEOUT_S = 5.0
# After a TLS handshake, a broker that wants a client certificate says so at once.
CERTIFICATE_ALERT_WAIT_S = 1.0

_token_providers: dict[ClientCredentials, ClientCredentialsTokens] = {}


class _Startable(Protocol):
    async def start(self) -> None: ...


def kafka_client_options(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers,
        "security_protocol": settings.security_protocol,
    }
    if settings.uses_tls:
        options["ssl_context"] = kafka_ssl_context(settings)
    if settings.uses_sasl:
        options["sasl_mechanism"] = settings.sasl_mechanism
        if settings.sasl_mechanism == "OAUTHBEARER":
            options["sasl_oauth_token_provider"] = token_provider(settings)
        else:
            options["sasl_plain_username"] = settings.sasl_username
            password = settings.sasl_password
            options["sasl_plain_password"] = password.get_secret_value() if password else None
    return options


def kafka_ssl_context(settings: KafkaSettings, *, verify: bool = True) -> ssl.SSLContext:
    return client_context(
        link=LINK,
        address=settings.bootstrap_servers,
        prefix=PREFIX,
        names=("SSL_CAFILE", "SSL_CERTFILE", "SSL_KEYFILE"),
        files=(settings.ssl_cafile, settings.ssl_certfile, settings.ssl_keyfile),
        verify=verify,
        check_hostname=settings.ssl_check_hostname,
    )


def token_provider(settings: KafkaSettings) -> ClientCredentialsTokens:
    """One provider per credentials in a process: its clients share one cached token."""
    secret = settings.sasl_oauthbearer_client_secret
    credentials = ClientCredentials(
        token_endpoint_url=settings.sasl_oauthbearer_token_endpoint_url or "",
        client_id=settings.sasl_oauthbearer_client_id or "",
        client_secret=secret.get_secret_value() if secret else "",
        scope=settings.sasl_oauthbearer_scope,
    )
    provider = _token_providers.get(credentials)
    if provider is None:
        provider = _token_providers[credentials] = ClientCredentialsTokens(credentials)
    return provider


async def start_kafka_client(client: _Startable, settings: KafkaSettings) -> None:
    """``client.start()``; a start that failed because of the configuration raises
    LinkMisconfigured instead of the library's error, which often hides the cause
    (aiokafka logs why a bootstrap failed and raises 'Unable to bootstrap')."""
    with held_while_starting(library_logs.KAFKA):
        try:
            await client.start()
        except LinkMisconfigured:
            raise
        except Exception as exc:
            problem = await diagnose_kafka(settings, exc)
            if problem is not None:
                raise problem from None
            raise


async def diagnose_kafka(
    settings: KafkaSettings, failure: BaseException
) -> LinkMisconfigured | None:
    """Why ``failure`` happened, when it is the configuration's fault; None when the
    broker is only unreachable (or the cause is unknown): that is retried."""
    direct = _sasl_problem(settings, failure)
    if direct is not None:
        return direct
    host, port = first_host_port(settings.bootstrap_servers, 9092)
    address = f"{host}:{port}"
    if settings.uses_tls:
        tls = await _tls_problem(settings, host, port)
        if tls is not None:
            return LinkMisconfigured(LINK, address, tls, _tls_setting(tls))
    elif await speaks_tls(host, port):
        return LinkMisconfigured(
            LINK,
            address,
            f"it speaks TLS but security protocol is {settings.security_protocol}",
            f"{PREFIX}SECURITY_PROTOCOL (SSL or SASL_SSL)",
        )
    if settings.uses_sasl:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                connection = await create_conn(host, port, **_connection_options(settings))
            connection.close()
        except Exception as exc:  # the library's own classification, seen first-hand
            return _sasl_problem(settings, exc)
    return None


def _sasl_problem(settings: KafkaSettings, failure: BaseException) -> LinkMisconfigured | None:
    address = settings.bootstrap_servers
    mechanism = settings.sasl_mechanism
    if mechanism == "OAUTHBEARER":
        # The token endpoint accepted the client (it says so itself when it does not):
        # the broker refused the token it issued.
        refused = "it refused the OAUTHBEARER token from the token endpoint"
        credentials = (
            f"{PREFIX}SASL_OAUTHBEARER_SCOPE and the broker's OAUTHBEARER set-up (issuer, audience)"
        )
    else:
        refused = f"it refused the SASL {mechanism} credentials"
        credentials = f"{PREFIX}SASL_USERNAME and {PREFIX}SASL_PASSWORD"
    if isinstance(failure, LinkMisconfigured):
        return failure
    if isinstance(failure, KeyError) and failure.args == ("v",) and settings.uses_sasl:
        # aiokafka's SCRAM reads the server's final message: without 'v' it was an 'e'.
        return LinkMisconfigured(LINK, address, refused, credentials)
    if isinstance(failure, kafka_errors.UnsupportedSaslMechanismError):
        return LinkMisconfigured(
            LINK,
            address,
            f"it does not offer SASL {mechanism}",
            f"{PREFIX}SASL_MECHANISM, or {PREFIX}SECURITY_PROTOCOL (SSL or PLAINTEXT"
            " for a listener without SASL)",
        )
    if isinstance(
        failure,
        kafka_errors.SaslAuthenticationFailed
        | kafka_errors.AuthenticationFailedError
        | kafka_errors.IllegalSaslStateError,
    ):
        return LinkMisconfigured(LINK, address, refused, credentials)
    return None


async def _tls_problem(settings: KafkaSettings, host: str, port: int) -> str | None:
    """A handshake of our own, then a read without writing: a broker that wants a client
    certificate sends its alert at once (TLS 1.3 says so only after the handshake)."""
    context = kafka_ssl_context(settings)
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return None  # unreachable: retried
    try:
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                await writer.start_tls(context, server_hostname=host)
        except TimeoutError:
            writer.transport.abort()  # after a failed start_tls, wait_closed never ends
            return "it does not answer a TLS handshake (it may not speak TLS)"
        except OSError as exc:
            writer.transport.abort()
            return describe_tls_failure(exc)
        try:
            async with asyncio.timeout(CERTIFICATE_ALERT_WAIT_S):
                await reader.read(1)
        except TimeoutError:
            return None  # waiting for our request: TLS is fine
        except OSError as exc:
            return describe_tls_failure(exc)
        return None
    finally:
        await closed(writer)


def _tls_setting(problem: str) -> str:
    if "client certificate" in problem:
        return f"{PREFIX}SSL_CERTFILE and {PREFIX}SSL_KEYFILE"
    if "speak TLS" in problem:
        return f"{PREFIX}SECURITY_PROTOCOL"
    if "Hostname mismatch" in problem or "IP address mismatch" in problem:
        return f"{PREFIX}BOOTSTRAP_SERVERS (the name in the broker's certificate)"
    return f"{PREFIX}SSL_CAFILE"


def _connection_options(settings: KafkaSettings) -> dict[str, Any]:
    options = kafka_client_options(settings)
    options.pop("bootstrap_servers")
    return options
