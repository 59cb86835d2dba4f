"""The operator on secured links, through real TLS terminators (stunnel, the fixtures of
``tests.support.secured``) in front of the local RabbitMQ and a private Tansu: the
management API over https with a CA and a monitoring user of its own, AMQP over amqps,
Kafka over TLS. A misconfigured link is told apart from an unreachable one: at start
the console script stops with one line naming the link, its address and the setting;
during the readings the status gives a reason of its own, never BrokerUnreachable."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from eda_local.tansu import free_port
from shared.messaging import group_for, queue_name, topic_for
from tests.operator.brokers import (
    operator_config,
    plain_rabbitmq,
    publish_to_exchange,
    publish_to_topic,
    statistics_show,
    taken_unacknowledged,
)
from tests.operator.cluster import DEPLOYMENT, Cluster, scaling_orders
from tests.operator.console_script import OPERATOR
from tests.operator.crd import kafka_source, rabbitmq_source
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, ready_messages
from tests.support.secured.certs import Certificates
from tests.support.secured.kafka import SecuredKafka
from tests.support.secured.rabbitmq import RabbitMQUser, SecuredRabbitMQ, rabbitmq_user

SUBSCRIBER = "orders.order-placed"
EVENT_TYPE = "order.placed"
HELD = 20
MANAGEMENT = "EDA_OPERATOR__RABBITMQ_MANAGEMENT_"
CREDENTIALS_SETTINGS = f"{MANAGEMENT}USERNAME and {MANAGEMENT}PASSWORD (or their _FILE)"


@pytest.fixture(scope="module")
def monitor() -> Iterator[RabbitMQUser]:
    """The operator's own management user: tag ``monitoring``, read rights on ``/``, a
    unique name, deleted at the end (as ``rabbitmq_monitoring_user``, once per module:
    a user costs a few management calls)."""
    with rabbitmq_user(tags=("monitoring",)) as user:
        yield user


async def test_the_queue_depth_is_read_over_https_as_a_monitoring_user_of_its_own(
    *,
    cluster: Cluster,
    kafka_bootstrap: str,
    tls_certs: Certificates,
    rabbitmq_tls: SecuredRabbitMQ,
    rabbitmq_management_tls: str,
    monitor: RabbitMQUser,
) -> None:
    # The application's user may use AMQP but not the management API (no tag): were it
    # used there, every reading would be refused.
    with rabbitmq_user(tags=(), permissions=(".*", ".*", ".*"), prefix="eda-test-app") as app:
        config = operator_config(
            kafka_bootstrap,
            rabbitmq_url=f"amqps://{app.name}:{app.password}@localhost:{rabbitmq_tls.port}/",
            rabbitmq={"ssl_cafile": tls_certs.ca},
            management_url=rabbitmq_management_tls,
            rabbitmq_management_username=monitor.name,
            rabbitmq_management_password=monitor.password,
            rabbitmq_management_cafile=tls_certs.ca,
            # No ready count outlives its reading: a backlog no longer ready is counted
            # by the management API alone.
            rabbitmq_statistics_age_s=0,
        )
        assert config.management.credentials_source == "own"
        plain = plain_rabbitmq(config.eda.rabbitmq)
        queue = queue_name(plain, SUBSCRIBER)
        try:
            async with scaling_orders(
                cluster,
                config,
                rabbitmq_source(queue),
                replicas=1,
                maxReplicas=5,
                targetBacklogPerReplica=10,
            ):
                await cluster.ready("order-placed", what="a reading over amqps and https")
                assert cluster.status("order-placed")["backlog"] == 0
                assert await cluster.posted("TopologyEnsured")  # declared over amqps

                await publish_to_exchange(plain, EVENT_TYPE, HELD)
                async with taken_unacknowledged(plain, queue, HELD) as taken:
                    assert await ready_messages(plain, queue) == 0
                    await statistics_show(queue, ready=0, unacknowledged=HELD)
                    await cluster.readings("order-placed", 2)
                    # Nothing is ready: only the management API knows of these 20.
                    assert cluster.status("order-placed")["backlog"] == HELD
                    assert cluster.replicas(DEPLOYMENT) == HELD // 10
                    await taken[-1].ack(multiple=True)
                ready = cluster.condition("order-placed", "Ready")
                assert (ready["status"], ready["reason"]) == ("True", "BacklogRead")
        finally:
            await delete_topology(plain, [SUBSCRIBER])


@pytest.mark.parametrize(
    ("wrong", "reason", "setting"),
    [
        ("password", "ManagementCredentialsRefused", CREDENTIALS_SETTINGS),
        ("ca", "LinkMisconfigured", f"{MANAGEMENT}CAFILE"),
    ],
)
async def test_a_misconfigured_management_link_is_not_reported_as_an_unreachable_broker(
    *,
    cluster: Cluster,
    kafka_bootstrap: str,
    tls_certs: Certificates,
    rabbitmq_management_tls: str,
    monitor: RabbitMQUser,
    wrong: str,
    reason: str,
    setting: str,
) -> None:
    wrong_password = monitor.password + "-wrong"
    config = operator_config(
        kafka_bootstrap,
        management_url=rabbitmq_management_tls,
        rabbitmq_management_username=monitor.name,
        rabbitmq_management_password=wrong_password if wrong == "password" else monitor.password,
        rabbitmq_management_cafile=tls_certs.other_ca if wrong == "ca" else tls_certs.ca,
    )
    rabbitmq = config.eda.rabbitmq
    queue = queue_name(rabbitmq, SUBSCRIBER)
    try:
        # minReplicas 0 and no window: read as an empty backlog, it would scale to zero.
        async with scaling_orders(
            cluster,
            config,
            rabbitmq_source(queue),
            replicas=3,
            minReplicas=0,
            scaleDownStabilizationSeconds=0,
        ):
            await cluster.not_ready("order-placed", reason)
            await cluster.readings("order-placed", 2)
            ready = cluster.condition("order-placed", "Ready")
            assert ready["status"] == "False"
            assert ready["message"].startswith(
                f"RabbitMQ management API at {rabbitmq_management_tls}: "
            ), ready["message"]
            assert ready["message"].endswith(f"; check {setting}"), ready["message"]
            for secret in (monitor.password, wrong_password):
                assert secret not in ready["message"]
            # The broker answered: reachable, with the reason that says what to fix.
            reachable = cluster.condition("order-placed", "BrokerReachable")
            assert (reachable["status"], reachable["reason"]) == ("True", reason)
            assert cluster.replicas(DEPLOYMENT) == 3
            assert "backlog" not in cluster.status("order-placed")
            (warning,) = await cluster.posted(reason)
            assert warning["type"] == "Warning"
            assert not cluster.events("BrokerUnreachable")
    finally:
        await delete_topology(rabbitmq, [SUBSCRIBER])


@pytest.mark.parametrize("wrong_ca", [False, True], ids=["ca", "wrong-ca"])
async def test_kafka_lag_is_read_over_tls(
    cluster: Cluster, kafka_tls: SecuredKafka, tls_certs: Certificates, wrong_ca: bool
) -> None:
    config = operator_config(
        kafka_tls.bootstrap,
        kafka={
            "security_protocol": "SSL",
            "ssl_cafile": tls_certs.other_ca if wrong_ca else tls_certs.ca,
        },
    )
    kafka = config.eda.kafka
    topic = topic_for(kafka, EVENT_TYPE)
    async with scaling_orders(
        cluster,
        config,
        kafka_source(topic, group_for(kafka, SUBSCRIBER), partitions=2),
        replicas=1,
        maxReplicas=4,
        targetBacklogPerReplica=5,
    ):
        if wrong_ca:
            message = (await cluster.not_ready("order-placed", "LinkMisconfigured"))["message"]
            assert message.startswith(f"Kafka at {kafka_tls.bootstrap}: its certificate does not")
            assert message.endswith("; check EDA_KAFKA__SSL_CAFILE"), message
            assert not cluster.events("BrokerUnreachable")
            return
        await cluster.ready("order-placed", what="a reading over TLS")
        await publish_to_topic(kafka, topic, 12)
        await eventually(
            lambda: cluster.status("order-placed").get("backlog") == 12, what="backlog 12"
        )
        await eventually(lambda: cluster.replicas(DEPLOYMENT) == 2, what="scaled to 2")


@dataclass(frozen=True)
class _Servers:
    certs: Certificates
    management: str
    """https://localhost:<port> in front of the management API."""
    monitor: RabbitMQUser
    files: Path
    request: pytest.FixtureRequest

    def credential_files(self, password: str) -> dict[str, str]:
        (self.files / "username").write_text(self.monitor.name + "\n")
        (self.files / "password").write_text(password + "\n")
        return {
            f"{MANAGEMENT}USERNAME_FILE": str(self.files / "username"),
            f"{MANAGEMENT}PASSWORD_FILE": str(self.files / "password"),
        }


def _wrong_ca(servers: _Servers) -> dict[str, str]:
    return {
        f"{MANAGEMENT}URL": servers.management,
        f"{MANAGEMENT}CAFILE": str(servers.certs.other_ca),
        **servers.credential_files(servers.monitor.password),
    }


def _wrong_password(servers: _Servers) -> dict[str, str]:
    return {
        f"{MANAGEMENT}URL": servers.management,
        f"{MANAGEMENT}CAFILE": str(servers.certs.ca),
        **servers.credential_files(servers.monitor.password + "-wrong"),
    }


def _plaintext_to_tls(servers: _Servers) -> dict[str, str]:
    return {
        f"{MANAGEMENT}URL": servers.management.replace("https://", "http://"),
        **servers.credential_files(servers.monitor.password),
    }


def _tls_to_plaintext(servers: _Servers) -> dict[str, str]:
    return {
        f"{MANAGEMENT}URL": "https://127.0.0.1:15672",
        f"{MANAGEMENT}CAFILE": str(servers.certs.ca),
        **servers.credential_files(servers.monitor.password),
    }


def _amqp_password(servers: _Servers) -> dict[str, str]:
    return {"EDA_RABBITMQ__URL": "amqp://guest:not-guests-password@127.0.0.1:5672/"}


def _kafka_wrong_ca(servers: _Servers) -> dict[str, str]:
    kafka: SecuredKafka = servers.request.getfixturevalue("kafka_tls")
    return {
        "EDA_DEFAULT_BROKER": "kafka",
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka.bootstrap,
        "EDA_KAFKA__SECURITY_PROTOCOL": "SSL",
        "EDA_KAFKA__SSL_CAFILE": str(servers.certs.other_ca),
    }


_MANAGEMENT_AT = "RabbitMQ management API at {management}: "


@pytest.mark.parametrize(
    ("variables", "starts", "ends"),
    [
        pytest.param(
            _wrong_ca,
            _MANAGEMENT_AT + "its certificate does not verify",
            f"; check {MANAGEMENT}CAFILE",
            id="wrong-ca",
        ),
        pytest.param(
            _wrong_password,
            _MANAGEMENT_AT + "it refused the user name or password",
            f"; check {CREDENTIALS_SETTINGS}",
            id="wrong-monitoring-password",
        ),
        pytest.param(
            _plaintext_to_tls,
            "RabbitMQ management API at {plaintext}: it speaks TLS but the URL is http://",
            f"; check {MANAGEMENT}URL (https:// for a TLS port)",
            id="plaintext-to-tls-port",
        ),
        pytest.param(
            _tls_to_plaintext,
            "RabbitMQ management API at https://127.0.0.1:15672: it does not speak TLS",
            f"; check {MANAGEMENT}URL (http:// for a plaintext port)",
            id="tls-to-plaintext-port",
        ),
        pytest.param(
            _amqp_password,
            "RabbitMQ at 127.0.0.1:5672: it refused the user name or password",
            "; check EDA_RABBITMQ__URL (its user info)",
            id="wrong-amqp-password",
        ),
        pytest.param(
            _kafka_wrong_ca,
            "Kafka at 127.0.0.1:",
            "; check EDA_KAFKA__SSL_CAFILE",
            id="kafka-wrong-ca",
        ),
    ],
)
async def test_a_misconfigured_link_stops_the_console_script_with_one_line(
    *,
    cluster: Cluster,
    tls_certs: Certificates,
    rabbitmq_management_tls: str,
    monitor: RabbitMQUser,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    variables: Callable[[_Servers], dict[str, str]],
    starts: str,
    ends: str,
) -> None:
    servers = _Servers(tls_certs, rabbitmq_management_tls, monitor, tmp_path, request)
    environment = _environment(
        {"EDA_DEFAULT_BROKER": "rabbitmq", "EDA_OPERATOR__HEALTH_PORT": "0", **variables(servers)}
    )
    process = await asyncio.create_subprocess_exec(
        OPERATOR,
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    output = stderr.decode() + stdout.decode()
    lines = output.strip().splitlines()
    assert process.returncode == 1, output
    assert len(lines) == 1, output
    (line,) = lines
    expected = "eda-operator: " + starts.format(
        management=rabbitmq_management_tls,
        plaintext=rabbitmq_management_tls.replace("https://", "http://"),
    )
    assert line.startswith(expected), line
    assert line.endswith(ends), line
    for secret in (monitor.password, "not-guests-password"):
        assert secret not in output
    assert not cluster.watching_scalers()


@pytest.mark.slow
async def test_an_unreachable_management_api_is_only_logged_and_the_operator_runs(
    cluster: Cluster, tmp_path: Path
) -> None:
    nothing_listens = f"http://127.0.0.1:{free_port()}"
    environment = _environment(
        {
            "EDA_DEFAULT_BROKER": "rabbitmq",
            "EDA_OPERATOR__HEALTH_PORT": "0",
            f"{MANAGEMENT}URL": nothing_listens,
        }
    )
    log_path = tmp_path / "operator.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            OPERATOR, env=environment, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
        try:
            await eventually(cluster.watching_scalers, timeout=30, what="the operator watching")
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), timeout=30)
    output = log_path.read_text()
    assert code == 0, output[-3000:]
    assert f"RabbitMQ management API at {nothing_listens} is not reachable yet" in output
    # No user of its own: said once, with the settings that give it one.
    warning = (
        "the operator uses the application's credentials (the user of EDA_RABBITMQ__URL)"
        f" for the RabbitMQ management API; give it a monitoring user of its own with"
        f" {CREDENTIALS_SETTINGS}"
    )
    assert output.count(warning) == 1, output[-3000:]


def _environment(variables: dict[str, str]) -> dict[str, str]:
    """This process's environment (KUBECONFIG points at the emulator) without its EDA_
    variables, plus ``variables``."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("EDA_")}
    return {**environment, **variables}
