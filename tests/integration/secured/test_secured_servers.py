"""Each secured fixture really is secured, shown with the client libraries themselves
(aiokafka, aio-pika, httpx, aiomysql): the right CA and credentials get through, a wrong
CA, a missing client certificate, plaintext or a refused login do not."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import aiomysql
import httpx
import pytest
from aio_pika.exceptions import AMQPConnectionError
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError
from aiokafka.helpers import create_ssl_context

from tests.support.secured.certs import Certificates
from tests.support.secured.kafka import SecuredKafka
from tests.support.secured.mysql import SecuredMySQL, ServiceUsers
from tests.support.secured.rabbitmq import RabbitMQUser, SecuredRabbitMQ
from tests.support.secured.stunnel import tls_terminator
from tests.support.secured.token_endpoint import TokenEndpoint

ACCESS_DENIED = 1045
CANNOT_CONNECT = 2003
COMMAND_DENIED = 1142


def unique_topic() -> str:
    return f"secured-{uuid.uuid4().hex[:12]}"


def trusting(ca: Any, cert: Any = None, key: Any = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    return context


@asynccontextmanager
async def producer(bootstrap: str, **options: Any) -> AsyncIterator[AIOKafkaProducer]:
    started = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10_000, **options)
    try:
        await started.start()
        yield started
    finally:
        await started.stop()


async def send_one(bootstrap: str, **options: Any) -> None:
    async with producer(bootstrap, **options) as started:
        await started.send_and_wait(unique_topic(), b"x")


async def first_read(port: int, context: ssl.SSLContext, send: bytes = b"") -> bytes:
    """Connect with TLS, write ``send`` if any, read once: what a raw client sees."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context)
    try:
        if send:
            writer.write(send)
            await writer.drain()
        return await asyncio.wait_for(reader.read(100), timeout=10)
    finally:
        writer.close()


async def refused_after_writing(port: int, context: ssl.SSLContext) -> None:
    """A client that writes before it reads (every Kafka client) may lose the server's
    alert to the reset that follows it: on a busy machine most such attempts see
    ECONNRESET, not the alert. Either way, nothing is read."""
    try:
        reply = await first_read(port, context, send=b"\x00\x00\x00\x00")
    except (ssl.SSLError, ConnectionError):
        return
    assert reply == b"", f"read {reply!r} through a terminator that should refuse"


def port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


# Kafka


async def test_kafka_tls_produces_and_consumes_through_the_terminator(
    kafka_tls: SecuredKafka,
) -> None:
    options: dict[str, Any] = {
        "security_protocol": "SSL",
        "ssl_context": create_ssl_context(cafile=str(kafka_tls.certs.ca)),
    }
    topic = unique_topic()
    async with producer(kafka_tls.bootstrap, **options) as started:
        await started.send_and_wait(topic, b"secured", key=b"k")
        advertised = {(b.host, b.port) for b in started.client.cluster.brokers()}
    assert advertised == {("127.0.0.1", port_of(kafka_tls.bootstrap))}

    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka_tls.bootstrap, fetch_max_wait_ms=50, **options
    )
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        record = await asyncio.wait_for(consumer.getone(), timeout=20)
    finally:
        await consumer.stop()
    assert record.value == b"secured"


async def test_kafka_tls_refuses_another_ca_and_plaintext(kafka_tls: SecuredKafka) -> None:
    with pytest.raises(KafkaConnectionError):
        await send_one(
            kafka_tls.bootstrap,
            security_protocol="SSL",
            ssl_context=create_ssl_context(cafile=str(kafka_tls.certs.other_ca)),
        )
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer"):
        await first_read(port_of(kafka_tls.bootstrap), trusting(kafka_tls.certs.other_ca))
    with pytest.raises(KafkaConnectionError):
        await send_one(kafka_tls.bootstrap)


async def test_kafka_mtls_needs_a_client_certificate_of_the_ca(kafka_mtls: SecuredKafka) -> None:
    certs = kafka_mtls.certs
    with pytest.raises(KafkaConnectionError):
        await send_one(
            kafka_mtls.bootstrap,
            security_protocol="SSL",
            ssl_context=create_ssl_context(cafile=str(certs.ca)),
        )
    # TLS 1.3: the handshake completes; the refusal comes with the first read, as an
    # alert to a client that has not written.
    port = port_of(kafka_mtls.bootstrap)
    without = trusting(certs.ca)
    foreign = trusting(certs.ca, certs.other_client_cert, certs.other_client_key)
    with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED"):
        await first_read(port, without)
    with pytest.raises(ssl.SSLError, match="UNKNOWN_CA"):
        await first_read(port, foreign)
    await refused_after_writing(port, without)
    await refused_after_writing(port, foreign)

    await send_one(
        kafka_mtls.bootstrap,
        security_protocol="SSL",
        ssl_context=create_ssl_context(
            cafile=str(certs.ca), certfile=str(certs.client_cert), keyfile=str(certs.client_key)
        ),
    )


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512"])
async def test_kafka_sasl_reaches_the_scram_exchange_and_is_refused(
    kafka_sasl: SecuredKafka, mechanism: str
) -> None:
    # The broker answers the SCRAM exchange with an error (no such user); aiokafka
    # 0.14 reports it as KeyError('v'): the server's final message has no verifier.
    with pytest.raises(KeyError, match="v"):
        await send_one(
            kafka_sasl.bootstrap,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=mechanism,
            sasl_plain_username="nobody",
            sasl_plain_password=uuid.uuid4().hex,
        )


async def test_kafka_sasl_refuses_plain_and_unauthenticated_clients(
    kafka_sasl: SecuredKafka,
) -> None:
    with pytest.raises(KafkaConnectionError):  # Tansu: NoSharedMechanism, then closes
        await send_one(
            kafka_sasl.bootstrap,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_plain_username="nobody",
            sasl_plain_password=uuid.uuid4().hex,
        )
    with pytest.raises(KafkaConnectionError):
        await send_one(kafka_sasl.bootstrap)


async def test_kafka_sasl_over_tls_reaches_the_scram_exchange(
    kafka_sasl_tls: SecuredKafka,
) -> None:
    with pytest.raises(KeyError, match="v"):
        await send_one(
            kafka_sasl_tls.bootstrap,
            security_protocol="SASL_SSL",
            ssl_context=create_ssl_context(cafile=str(kafka_sasl_tls.certs.ca)),
            sasl_mechanism="SCRAM-SHA-256",
            sasl_plain_username="nobody",
            sasl_plain_password=uuid.uuid4().hex,
        )


# The terminator itself


async def test_a_certificate_for_another_host_fails_hostname_verification(
    tls_certs: Certificates,
) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.read(100))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    target = int(server.sockets[0].getsockname()[1])
    try:
        with tls_terminator(
            target, tls_certs, cert=tls_certs.wrong_host_cert, key=tls_certs.wrong_host_key
        ) as port:
            with pytest.raises(ssl.SSLCertVerificationError, match=r"not valid for '127\.0\.0\.1'"):
                await first_read(port, trusting(tls_certs.ca))
            unchecked = trusting(tls_certs.ca)
            unchecked.check_hostname = False  # the chain itself is good
            assert await first_read(port, unchecked, send=b"ping") == b"ping"
    finally:
        server.close()
        await server.wait_closed()


# RabbitMQ


async def test_rabbitmq_amqps_declares_a_queue(rabbitmq_tls: SecuredRabbitMQ) -> None:
    connection = await aio_pika.connect(
        rabbitmq_tls.url, ssl_context=trusting(rabbitmq_tls.certs.ca)
    )
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"secured-{uuid.uuid4().hex[:12]}", auto_delete=True)
        await queue.delete()
        transport = connection.transport
        assert transport is not None
        assert transport.connection.url.scheme == "amqps"

    with pytest.raises(AMQPConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        await aio_pika.connect(
            rabbitmq_tls.url, ssl_context=trusting(rabbitmq_tls.certs.other_ca), timeout=10
        )


async def test_rabbitmq_management_over_https_with_a_monitoring_user(
    rabbitmq_management_tls: str, rabbitmq_monitoring_user: RabbitMQUser, tls_certs: Certificates
) -> None:
    user = rabbitmq_monitoring_user
    async with httpx.AsyncClient(
        base_url=rabbitmq_management_tls, verify=trusting(tls_certs.ca), timeout=10
    ) as client:
        whoami = await client.get("/api/whoami", auth=(user.name, user.password))
        queues = await client.get("/api/queues/%2F", auth=(user.name, user.password))
        refused = await client.get("/api/whoami", auth=(user.name, "wrong"))
    assert whoami.status_code == 200
    assert whoami.json()["tags"] == ["monitoring"]
    assert queues.status_code == 200
    assert refused.status_code == 401

    async with httpx.AsyncClient(verify=trusting(tls_certs.other_ca), timeout=10) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.get(f"{rabbitmq_management_tls}/api/overview")


# MySQL


async def cipher(connection: aiomysql.Connection) -> str:
    async with connection.cursor() as cursor:
        await cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        row = await cursor.fetchone()
    return str(row[1]) if row else ""


async def connect(
    server: SecuredMySQL, user: str, password: str, **options: Any
) -> aiomysql.Connection:
    return await aiomysql.connect(
        host=server.host, port=server.port, user=user, password=password, autocommit=True, **options
    )


async def test_mysql_tls_takes_tls_and_refuses_plaintext(mysql_tls: SecuredMySQL) -> None:
    connection = await connect(
        mysql_tls, mysql_tls.user, mysql_tls.password, ssl=mysql_tls.ssl_context()
    )
    try:
        assert await cipher(connection)
    finally:
        connection.close()

    # require_secure_transport: MariaDB answers a plaintext login with "access denied".
    with pytest.raises(aiomysql.OperationalError) as plaintext:
        await connect(mysql_tls, mysql_tls.user, mysql_tls.password)
    assert plaintext.value.args[0] == ACCESS_DENIED

    with pytest.raises(aiomysql.OperationalError) as foreign:
        await connect(
            mysql_tls, mysql_tls.user, mysql_tls.password, ssl=trusting(mysql_tls.certs.other_ca)
        )
    assert foreign.value.args[0] == CANNOT_CONNECT
    assert isinstance(foreign.value.__cause__, ssl.SSLCertVerificationError)


async def test_mysql_service_users_hold_their_privileges_over_tls(
    mysql_tls: SecuredMySQL, mysql_service_users: ServiceUsers
) -> None:
    users = mysql_service_users
    ddl, dml = [
        await connect(
            mysql_tls, user.name, user.password, db=users.database, ssl=mysql_tls.ssl_context()
        )
        for user in (users.ddl, users.dml)
    ]
    try:
        assert await cipher(ddl)
        assert await cipher(dml)
        async with ddl.cursor() as cursor:
            await cursor.execute("CREATE TABLE t (id INT PRIMARY KEY)")
        async with dml.cursor() as cursor:
            await cursor.execute("INSERT INTO t VALUES (1)")
            await cursor.execute("SELECT COUNT(*) FROM t")
            assert await cursor.fetchone() == (1,)
            with pytest.raises(aiomysql.OperationalError) as denied:
                await cursor.execute("CREATE TABLE u (id INT)")
        assert denied.value.args[0] == COMMAND_DENIED
    finally:
        ddl.close()
        dml.close()


@pytest.mark.mysql
async def test_the_shared_mariadb_offers_no_tls_and_aiomysql_falls_back_silently(
    tls_certs: Certificates,
) -> None:
    """What "TLS required against a server without TLS" tests rely on."""
    connection = await aiomysql.connect(
        host="127.0.0.1", port=3306, user="root", password="", ssl=trusting(tls_certs.ca)
    )
    try:
        assert await cipher(connection) == ""
    finally:
        connection.close()


# Token endpoint


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


async def test_token_endpoint_issues_refuses_and_fails(token_endpoint: TokenEndpoint) -> None:
    endpoint = token_endpoint
    endpoint.expires_in = 120
    form = {
        "grant_type": "client_credentials",
        "client_id": endpoint.client_id,
        "client_secret": endpoint.client_secret,
        "scope": "events:write",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        posted = await client.post(endpoint.url, data=form)
        basic = await client.post(
            endpoint.url,
            data={"grant_type": "client_credentials"},
            auth=(endpoint.client_id, endpoint.client_secret),
        )
        wrong = await client.post(endpoint.url, data={**form, "client_secret": "wrong"})
        endpoint.refuse()
        refused = await client.post(endpoint.url, data=form)
        endpoint.fail()
        failed = await client.post(endpoint.url, data=form)
        endpoint.recover()
        discovery = await client.get(f"{endpoint.issuer}/.well-known/openid-configuration")

    assert posted.status_code == 200
    token = posted.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 120
    assert claims(token["access_token"])["exp"] - claims(token["access_token"])["iat"] == 120
    assert claims(token["access_token"])["scope"] == "events:write"
    assert basic.status_code == 200
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert (refused.status_code, refused.json()) == (401, {"error": "invalid_client"})
    assert failed.status_code == 500
    assert discovery.json()["token_endpoint"] == endpoint.url
    assert [r.status for r in endpoint.requests] == [200, 200, 401, 401, 500]
    assert [r.basic_auth for r in endpoint.requests] == [False, True, False, False, False]
    assert endpoint.fetches == 2


async def test_token_endpoint_over_https_is_trusted_through_the_test_ca(
    token_endpoint_tls: TokenEndpoint, tls_certs: Certificates
) -> None:
    endpoint = token_endpoint_tls
    assert endpoint.url.startswith("https://localhost:")
    form = {"grant_type": "client_credentials"}
    credentials = (endpoint.client_id, endpoint.client_secret)
    async with httpx.AsyncClient(verify=tls_certs.client_context(), timeout=10) as client:
        issued = await client.post(endpoint.url, data=form, auth=credentials)
    assert issued.status_code == 200
    async with httpx.AsyncClient(verify=trusting(tls_certs.other_ca), timeout=10) as client:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await client.post(endpoint.url, data=form, auth=credentials)
    assert endpoint.fetches == 1
