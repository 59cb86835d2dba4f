"""Settings → the keyword arguments every aiokafka client is built with, checked by
building real clients with them (their constructors validate the combination)."""

from __future__ import annotations

import ssl

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.links import LinkMisconfigured, kafka_client_options
from shared.links.oauth import ClientCredentialsTokens
from shared.settings import KafkaSettings
from tests.support.secured.certs import Certificates


async def _build_every_client(options: dict[str, object]) -> None:
    producer = AIOKafkaProducer(**options)
    consumer = AIOKafkaConsumer(**options)
    admin = AIOKafkaAdminClient(**options)
    await producer.stop()
    await consumer.stop()
    await admin.close()


async def test_plaintext_has_no_tls_and_no_sasl() -> None:
    options = kafka_client_options(KafkaSettings(bootstrap_servers="k:9092"))
    assert options == {"bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}
    await _build_every_client(options)


async def test_ssl_with_a_ca_verifies_the_broker_and_its_name(certs: Certificates) -> None:
    options = kafka_client_options(KafkaSettings(security_protocol="SSL", ssl_cafile=certs.ca))
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert "sasl_mechanism" not in options
    await _build_every_client(options)


def test_a_client_certificate_makes_it_mutual_tls(certs: Certificates) -> None:
    settings = KafkaSettings(
        security_protocol="SSL",
        ssl_cafile=certs.ca,
        ssl_certfile=certs.client_cert,
        ssl_keyfile=certs.client_key,
    )
    context = kafka_client_options(settings)["ssl_context"]
    # A context with a client certificate loaded can sign: the key matches the cert.
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
async def test_sasl_with_a_user_and_password(
    mechanism: str, protocol: str, certs: Certificates
) -> None:
    settings = KafkaSettings(
        security_protocol=protocol,
        sasl_mechanism=mechanism,
        sasl_username="eda",
        sasl_password="s3cret-pw",
        ssl_cafile=certs.ca if protocol == "SASL_SSL" else None,
    )
    options = kafka_client_options(settings)
    assert options["sasl_mechanism"] == mechanism
    assert options["sasl_plain_username"] == "eda"
    assert options["sasl_plain_password"] == "s3cret-pw"
    assert ("ssl_context" in options) is (protocol == "SASL_SSL")
    await _build_every_client(options)
    assert "s3cret-pw" not in repr(settings)


async def test_oauthbearer_gets_one_shared_token_provider() -> None:
    settings = KafkaSettings(
        security_protocol="SASL_SSL",
        sasl_mechanism="OAUTHBEARER",
        sasl_oauthbearer_token_endpoint_url="https://id.example.com/oauth2/token",
        sasl_oauthbearer_client_id="eda-orders",
        sasl_oauthbearer_client_secret="client-s3cret",
        sasl_oauthbearer_scope="kafka",
    )
    first = kafka_client_options(settings)
    second = kafka_client_options(settings)
    assert isinstance(first["sasl_oauth_token_provider"], ClientCredentialsTokens)
    assert first["sasl_oauth_token_provider"] is second["sasl_oauth_token_provider"]
    assert "sasl_plain_password" not in first
    await _build_every_client(first)
    assert "client-s3cret" not in repr(first["sasl_oauth_token_provider"]._credentials)


def test_an_unreadable_ca_is_a_misconfiguration_naming_the_setting(tmp_path: object) -> None:
    settings = KafkaSettings(security_protocol="SSL", ssl_cafile="/nonexistent/ca.crt")
    with pytest.raises(LinkMisconfigured) as refused:
        kafka_client_options(settings)
    assert "EDA_KAFKA__SSL_CAFILE" in str(refused.value)
    assert str(refused.value).startswith("Kafka at 127.0.0.1:9092: CA file /nonexistent/ca.crt")


def test_a_key_that_does_not_match_the_certificate_is_refused(certs: Certificates) -> None:
    settings = KafkaSettings(
        security_protocol="SSL",
        ssl_cafile=certs.ca,
        ssl_certfile=certs.client_cert,
        ssl_keyfile=certs.server_key,
    )
    with pytest.raises(
        LinkMisconfigured, match="EDA_KAFKA__SSL_CERTFILE and EDA_KAFKA__SSL_KEYFILE"
    ):
        kafka_client_options(settings)
