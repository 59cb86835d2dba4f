"""The subscriber image handles an event end to end, run as the chart runs it: a
user.registered published on RabbitMQ reaches the `subscriber user.registered`
container, which projects the customer into the orders database (migrated by the
order-service image, as the pod's init container does) and acknowledges it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eda_local.tansu import free_port
from shared.envelope import wrap
from shared.events import UserRegisteredV1
from shared.events.producers import allowed_source
from shared.messaging import RoutingPublisher
from shared.settings import load_settings
from tests.containers import podman
from tests.containers.local_servers import answers, base_env, container_of, env_args, pod_of
from tests.containers.pod_spec import security_flags, volume_flags
from tests.deploy.chart import Manifest
from tests.support.mysql import connect_for_tests, mysql_settings_for_tests, throwaway_database
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, ready_messages

# The first test of a session waits for the images to be built (about 50 s cold).
# The subscriber's container reaches this machine's MariaDB and RabbitMQ.
pytestmark = [pytest.mark.mysql, pytest.mark.rabbitmq, pytest.mark.timeout(600)]
SUBSCRIBER = "orders.user-registered"


async def test_a_subscriber_in_its_container_projects_a_registered_user(
    podman_conf: Path, image_tag: str, local_manifests: list[Manifest], kafka_bootstrap: str
) -> None:
    pod = pod_of(local_manifests, "eda-orders-user-registered")
    container = container_of(pod)
    (init,) = pod["initContainers"]
    prefix = f"sub{uuid.uuid4().hex[:8]}."
    port = free_port()
    settings = load_settings(
        source=allowed_source("user.registered"),
        default_broker="rabbitmq",
        rabbitmq={"exchange": f"{prefix}events", "queue_prefix": prefix},
    )
    async with throwaway_database(mysql_settings_for_tests()) as database:
        env = base_env(kafka_bootstrap, prefix) | {
            "EDA_MYSQL__DATABASE": database,
            "EDA_DEFAULT_BROKER": "rabbitmq",
        }
        migrated = podman.run_to_end(
            podman_conf, "migrate", podman.image_ref("order-service", image_tag),
            [*security_flags(pod, init), *volume_flags(pod, init), *env_args(env)], ["migrate"],
        )  # fmt: skip
        assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        flags = [*security_flags(pod, container), *volume_flags(pod, container), *env_args(env)]
        args = ["user.registered", "--host", "127.0.0.1", "--port", str(port)]
        try:
            async with podman.running(
                podman_conf, "subscriber", podman.image_ref("subscriber", image_tag), flags, args
            ) as running:
                await answers(running, port, ("/readyz",))
                user_id = uuid.uuid4()
                event = UserRegisteredV1(
                    user_id=user_id,
                    email=f"c{user_id.hex[:8]}@example.com",
                    name="Container",
                    registered_at=datetime.now(UTC),
                )
                publisher = RoutingPublisher(settings)
                await publisher.start()
                try:
                    await publisher.publish(wrap(event, source=settings.source))
                finally:
                    await publisher.close()

                async def projected() -> bool:
                    connection = await connect_for_tests(database)
                    try:
                        async with connection.cursor() as cursor:
                            await cursor.execute(
                                "SELECT email, active FROM customers WHERE user_id = %s",
                                (str(user_id),),
                            )
                            row = await cursor.fetchone()
                    finally:
                        connection.close()
                    return bool(row == (event.email, 1))

                await eventually(projected, timeout=60, interval=0.2, what="customer projected")
                queue = f"{prefix}{SUBSCRIBER}"
                assert await ready_messages(settings.rabbitmq, queue) == 0
                assert running.stop() == 0, running.logs()[-3000:]
        finally:
            await delete_topology(settings.rabbitmq, [SUBSCRIBER])
