"""`make run` against secured servers, as staging has them: Kafka over mutual TLS,
RabbitMQ over amqps with a private CA, MySQL requiring TLS and verified with
VERIFY_IDENTITY. Users are registered, orders placed, confirmed and counted, and Ctrl-C
still stops every process cleanly (the drain reads Kafka over the same link)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx

from eda_local.tansu import free_port, free_port_block
from subscribers.catalog import SUBSCRIBERS
from tests.e2e.local_run import Ports, launched
from tests.support.orders import one_item_order
from tests.support.polling import eventually
from tests.support.secured.kafka import SecuredKafka
from tests.support.secured.mysql import SecuredMySQL
from tests.support.secured.rabbitmq import SecuredRabbitMQ
from tests.support.users import register_user

ORDERS = 3


def secured_environment(
    kafka: SecuredKafka, rabbitmq: SecuredRabbitMQ, mysql: SecuredMySQL, password_file: Path
) -> dict[str, str]:
    certs = kafka.certs
    password_file.write_text(mysql.password)
    return {
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap,
        "EDA_KAFKA__SECURITY_PROTOCOL": "SSL",
        "EDA_KAFKA__SSL_CAFILE": str(certs.ca),
        "EDA_KAFKA__SSL_CERTFILE": str(certs.client_cert),
        "EDA_KAFKA__SSL_KEYFILE": str(certs.client_key),
        # Tansu behind the terminator: as make run sets for its embedded one.
        "EDA_KAFKA__IDEMPOTENT_PRODUCER": "false",
        "EDA_KAFKA__FETCH_MAX_WAIT_MS": "10",
        "EDA_KAFKA__IDLE_FETCH_MAX_WAIT_MS": "200",
        "EDA_RABBITMQ__URL": rabbitmq.url,
        "EDA_RABBITMQ__SSL_CAFILE": str(rabbitmq.certs.ca),
        "EDA_RABBITMQ__QUEUE_PREFIX": f"sec{uuid.uuid4().hex[:6]}.",
        "EDA_ROUTES": json.dumps({"order.placed": "rabbitmq", "order.confirmed": "rabbitmq"}),
        "EDA_MYSQL__HOST": "localhost",
        "EDA_MYSQL__PORT": str(mysql.port),
        "EDA_MYSQL__USER": mysql.user,
        "EDA_MYSQL__PASSWORD_FILE": str(password_file),
        "EDA_MYSQL__SSL_MODE": "VERIFY_IDENTITY",
        "EDA_MYSQL__SSL_CA": str(mysql.certs.ca),
    }


async def test_orders_are_confirmed_and_counted_over_secured_links(
    tmp_path: Path,
    kafka_mtls: SecuredKafka,
    rabbitmq_tls: SecuredRabbitMQ,
    mysql_tls: SecuredMySQL,
) -> None:
    ports = Ports(free_port(), free_port(), free_port(), free_port_block(len(SUBSCRIBERS)))
    environment = secured_environment(
        kafka_mtls, rabbitmq_tls, mysql_tls, tmp_path / "mysql-password"
    )
    prefix = f"s_{uuid.uuid4().hex[:8]}_"
    async with launched(ports, prefix, tmp_path / "run.log", environment) as launcher:
        await launcher.wait_ready()
        async with httpx.AsyncClient(timeout=5) as client:
            user_id = await register_user(client, launcher.users_url, "s@x.io", "S")
            for _ in range(ORDERS):
                response = await client.post(
                    f"{launcher.orders_url}/orders",
                    json=one_item_order(user_id, sku="a", quantity=1, unit_price="2.00"),
                )
                assert response.status_code == 202, response.text

            async def counted() -> bool:
                stats = (await client.get(f"{launcher.users_url}/users/{user_id}")).json()
                return bool(stats["orders_count"] == ORDERS)

            await eventually(
                counted, timeout=90, what=lambda: f"{ORDERS} orders counted\n{launcher.output()}"
            )
        launcher.ctrl_c()
        assert await launcher.exit_code() == 0, launcher.output()
    output = launcher.output()
    assert mysql_tls.password not in output
    assert "every process stopped cleanly" in output
