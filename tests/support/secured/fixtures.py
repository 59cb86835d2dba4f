"""The secured servers as pytest fixtures. Session-scoped: the certificates, Kafka over
TLS, mutual TLS, SASL and SASL over TLS, RabbitMQ over amqps and its management API over
https, MariaDB requiring TLS. Per test: a RabbitMQ monitoring user, MySQL service users,
a token endpoint (http, or https with ``token_endpoint_tls``), an OpenID provider
publishing its keys over https (``oidc``). Enable them with
``pytest_plugins = ["tests.support.secured.fixtures"]`` in the root conftest, or with
``from tests.support.secured.fixtures import *`` in a package's conftest."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.secured import token_endpoint as tokens
from tests.support.secured.certs import Certificates, make_certificates
from tests.support.secured.kafka import SecuredKafka, secured_tansu
from tests.support.secured.mysql import SecuredMySQL, ServiceUsers, private_mariadb, service_users
from tests.support.secured.oidc_provider import RunningProvider, oidc_provider
from tests.support.secured.rabbitmq import (
    RabbitMQUser,
    SecuredRabbitMQ,
    amqps_endpoint,
    management_https_endpoint,
    rabbitmq_user,
)

__all__ = [
    "kafka_mtls",
    "kafka_sasl",
    "kafka_sasl_tls",
    "kafka_tls",
    "mysql_service_users",
    "mysql_tls",
    "oidc",
    "rabbitmq_management_tls",
    "rabbitmq_monitoring_user",
    "rabbitmq_tls",
    "tls_certs",
    "token_endpoint",
    "token_endpoint_tls",
]


@pytest.fixture(scope="session")
def tls_certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """The test CA, server (localhost, 127.0.0.1), client, other-CA and wrong-host PEMs."""
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def kafka_tls(
    tls_certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredKafka]:
    """A private Tansu reached only over TLS (server certificate signed by the test CA)."""
    with secured_tansu(tls_certs, tmp_path_factory.mktemp("kafka-tls")) as kafka:
        yield kafka


@pytest.fixture(scope="session")
def kafka_mtls(
    tls_certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredKafka]:
    """As ``kafka_tls``, but a client certificate signed by the test CA is required."""
    with secured_tansu(
        tls_certs, tmp_path_factory.mktemp("kafka-mtls"), require_client_cert=True
    ) as kafka:
        yield kafka


@pytest.fixture(scope="session")
def kafka_sasl(
    tls_certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredKafka]:
    """A private Tansu requiring SASL (SCRAM-SHA-256/512) on plaintext: no user exists."""
    with secured_tansu(
        tls_certs, tmp_path_factory.mktemp("kafka-sasl"), tls=False, authentication=True
    ) as kafka:
        yield kafka


@pytest.fixture(scope="session")
def kafka_sasl_tls(
    tls_certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredKafka]:
    """SASL over TLS (SASL_SSL): ``kafka_sasl`` behind the terminator."""
    with secured_tansu(
        tls_certs, tmp_path_factory.mktemp("kafka-sasl-tls"), authentication=True
    ) as kafka:
        yield kafka


@pytest.fixture(scope="session")
def rabbitmq_tls(tls_certs: Certificates) -> Iterator[SecuredRabbitMQ]:
    """amqps://guest:guest@localhost:<port>/ in front of the local RabbitMQ."""
    with amqps_endpoint(tls_certs) as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def rabbitmq_management_tls(tls_certs: Certificates) -> Iterator[str]:
    """https://localhost:<port>: the local management API over TLS (CA: ``tls_certs.ca``)."""
    with management_https_endpoint(tls_certs) as endpoint:
        yield endpoint.url


@pytest.fixture
def rabbitmq_monitoring_user() -> Iterator[RabbitMQUser]:
    """A RabbitMQ user with a unique name, tag ``monitoring`` and read rights on ``/``."""
    with rabbitmq_user(tags=("monitoring",)) as user:
        yield user


@pytest.fixture(scope="session")
def mysql_tls(
    tls_certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecuredMySQL]:
    """A private MariaDB requiring TLS on TCP; root's password is ``mysql_tls.password``."""
    with private_mariadb(tls_certs, tmp_path_factory.mktemp("mysql-tls")) as server:
        yield server


@pytest.fixture
async def mysql_service_users(mysql_tls: SecuredMySQL) -> AsyncIterator[ServiceUsers]:
    """A fresh database on ``mysql_tls`` with a DDL and a DML user, both REQUIRE SSL."""
    async with service_users(mysql_tls) as users:
        yield users


@pytest.fixture
async def token_endpoint() -> AsyncIterator[tokens.TokenEndpoint]:
    """A client-credentials token endpoint over http on 127.0.0.1 (see ``.url``,
    ``.client_id``, ``.client_secret``, ``.requests``, ``.expires_in``, ``.refuse()``)."""
    async with tokens.token_endpoint() as endpoint:
        yield endpoint


@pytest.fixture
async def token_endpoint_tls(tls_certs: Certificates) -> AsyncIterator[tokens.TokenEndpoint]:
    """As ``token_endpoint``, over https://localhost:<port> (CA: ``tls_certs.ca``)."""
    async with tokens.token_endpoint(tls_certs.server_context()) as endpoint:
        yield endpoint


@pytest.fixture
async def oidc(tls_certs: Certificates) -> AsyncIterator[RunningProvider]:
    """An OpenID provider over https://localhost:<port>/realms/eda (CA: ``tls_certs.ca``):
    discovery, JWKS, signed tokens; ``.provider.add_key()``, ``.provider.remove_key(kid)``,
    ``.provider.fail()``, ``.stop_listening()`` and ``.listen()``."""
    async with oidc_provider(tls_certs.server_context()) as running:
        yield running
