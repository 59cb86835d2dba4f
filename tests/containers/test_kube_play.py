"""The chart's pods as rendered, run by `podman kube play` against this machine's
MariaDB, RabbitMQ and Kafka: both APIs and two subscribers (the customer projection on
Kafka, order.placed on RabbitMQ), each pod with the rendered ConfigMap and Secrets.
Each starts as its spec says, its probes answer, it reads the environment the chart
sets, an order placed through the API's pod is confirmed by the subscriber's pod,
and each stops cleanly within its grace period. What kube play 4.3 cannot do is done
as tests/containers/kube_play.py says."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import urllib.parse
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import yaml

from shared.settings import RabbitMQSettings
from tests.containers import kube_play, podman
from tests.containers.kube_play import Pod, ok
from tests.containers.local_release import SUBSCRIBERS, LocalRelease
from tests.containers.pod_spec import env_flags, mount_paths
from tests.deploy.chart import Manifest, of_kind
from tests.support.mysql import drop_databases, mysql_settings_for_tests, server_connection
from tests.support.orders import one_item_order
from tests.support.otlp_collector import Collector, running_collector
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology

# The first test of a session waits for the images to be built (about 50 s cold).
# The pods reach this machine's MariaDB and RabbitMQ.
pytestmark = [
    pytest.mark.mysql,
    pytest.mark.rabbitmq,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(600),
]

WORKLOADS = ("user-service", "order-service", *SUBSCRIBERS)
# What the chart's MySQL init script grants each service's user on its own database.
GRANTS = "SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES"


@dataclass
class PlayedRelease:
    release: LocalRelease
    conf: Path
    pods: dict[str, Pod]
    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    collector: Collector

    def url(self, workload: str) -> str:
        return f"http://127.0.0.1:{self.release.ports[workload]}"

    def logs(self, workload: str) -> str:
        pod = self.pods[workload]
        result = podman.podman(self.conf, "logs", kube_play.container_name(pod.name, pod.container))
        return (result.stdout + result.stderr)[-4000:]

    def exec(self, workload: str, *command: str) -> str:
        pod = self.pods[workload]
        name = kube_play.container_name(pod.name, pod.container)
        result = podman.podman(self.conf, "exec", name, *command)
        assert result.returncode == 0, result.stderr
        return result.stdout


@contextlib.asynccontextmanager
async def database_users(release: LocalRelease) -> AsyncIterator[None]:
    """Each context's database and least-privilege user, as the in-chart MySQL makes them."""
    settings = mysql_settings_for_tests()
    contexts = ("users", "orders")
    async with server_connection(settings) as connection, connection.cursor() as cursor:
        for context in contexts:
            user, password = release.user(context), release.passwords[context]
            await cursor.execute(f"CREATE DATABASE `{release.database(context)}`")
            await cursor.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}'")
            await cursor.execute(
                f"GRANT {GRANTS} ON `{release.database(context)}`.* TO '{user}'@'%'"
            )
    try:
        yield
    finally:
        await drop_databases(settings, *(release.database(c) for c in contexts))
        async with server_connection(settings) as connection, connection.cursor() as cursor:
            for context in contexts:
                await cursor.execute(f"DROP USER IF EXISTS '{release.user(context)}'@'%'")


def run_init_containers(played: PlayedRelease, deployment: Manifest, image_tag: str) -> None:
    """What the kubelet does before the pod's containers: each init container to its end."""
    kube_play.run_init_containers(
        played.conf, deployment, config_maps=played.config_maps, secrets=played.secrets,
        namespace=played.release.release, image_tag=image_tag,
    )  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def played(
    podman_conf: Path,
    image_tag: str,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[PlayedRelease]:
    folder = tmp_path_factory.mktemp("kube-play")
    async with running_collector() as collector:
        release = LocalRelease(kafka_bootstrap, collector.url, image_tag)
        manifests = release.manifests(folder)
        config_maps = {
            name: {k: str(v) for k, v in manifest["data"].items()}
            for name, manifest in of_kind(manifests, "ConfigMap").items()
        }
        secrets = {
            name: kube_play.secret_values(manifest)
            for name, manifest in of_kind(manifests, "Secret").items()
        }
        config_map_file = folder / "configmaps.yaml"
        config_map_file.write_text(yaml.safe_dump_all(of_kind(manifests, "ConfigMap").values()))
        result = PlayedRelease(release, podman_conf, {}, config_maps, secrets, collector)
        created: list[str] = []
        volumes: list[str] = []
        async with database_users(release):
            try:
                for manifest in of_kind(manifests, "Secret").values():
                    created.append(kube_play.create_secret(podman_conf, manifest))
                for workload, deployment in release.pods(manifests).items():
                    await asyncio.to_thread(run_init_containers, result, deployment, image_tag)
                    playable = kube_play.playable(
                        deployment, f"{release.release}-{workload}", config_maps, release.release
                    )
                    volumes += kube_play.volume_names(playable)
                    pod_name = await asyncio.to_thread(
                        kube_play.play, podman_conf, playable, config_map_file, folder
                    )
                    result.pods[workload] = Pod(pod_name, deployment)
                yield result
            finally:
                await asyncio.to_thread(_remove, podman_conf, result, created, volumes)
                await delete_topology(
                    _rabbitmq_settings(release), ["orders.order-placed", "orders.user-registered"]
                )


def _rabbitmq_settings(release: LocalRelease) -> RabbitMQSettings:
    return RabbitMQSettings(
        url="amqp://guest:guest@127.0.0.1:5672/",
        exchange=f"{release.prefix}events",
        queue_prefix=release.prefix,
    )


def _remove(conf: Path, played: PlayedRelease, secrets: list[str], volumes: list[str]) -> None:
    kube_play.remove(conf, [pod.name for pod in played.pods.values()], secrets, volumes)


@pytest.mark.parametrize("workload", WORKLOADS)
async def test_each_pod_runs_as_its_spec_says(played: PlayedRelease, workload: str) -> None:
    pod = played.pods[workload]
    state = podman.podman(played.conf, "pod", "inspect", "--format", "{{.State}}", pod.name)
    assert state.stdout.strip() == "Running", state.stdout + state.stderr
    context = {**pod.spec["securityContext"], **pod.container["securityContext"]}
    status = dict(
        line.split(":\t", 1) for line in played.exec(workload, "cat", "/proc/1/status").splitlines()
    )
    assert status["Uid"].split() == [str(context["runAsUser"])] * 4
    assert status["Gid"].split() == [str(context["runAsGroup"])] * 4
    assert int(status["CapEff"], 16) == 0
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"].strip() == "2"  # a filter: the runtime's default profile
    mounts = {
        fields[4]: fields[5].split(",")
        for fields in (
            line.split() for line in played.exec(workload, "cat", "/proc/1/mountinfo").splitlines()
        )
    }
    assert context["readOnlyRootFilesystem"] is True
    assert "ro" in mounts["/"]
    for path in mount_paths(pod.container):
        assert "rw" in mounts[path], path


@pytest.mark.parametrize("workload", WORKLOADS)
async def test_each_probe_answers_on_its_path_and_port(
    played: PlayedRelease, workload: str
) -> None:
    container = played.pods[workload].container
    probes = [container[kind] for kind in ("startupProbe", "livenessProbe", "readinessProbe")]
    async with httpx.AsyncClient(timeout=2) as client:
        for probe in probes:
            port = kube_play.port_of(container, probe["httpGet"]["port"])
            url = f"http://127.0.0.1:{port}{probe['httpGet']['path']}"
            await eventually(
                functools.partial(ok, client, url),
                timeout=120,
                interval=0.5,
                what=functools.partial(_not_answering, url, played, workload),
            )


def _not_answering(url: str, played: PlayedRelease, workload: str) -> str:
    return f"{url} answering\n{played.logs(workload)}"


@pytest.mark.parametrize("workload", WORKLOADS)
async def test_each_process_reads_the_env_the_chart_sets(
    played: PlayedRelease, workload: str
) -> None:
    container = played.pods[workload].container
    pod = played.pods[workload].deployment["metadata"]["name"]
    flags = env_flags(container, played.config_maps, played.secrets, played.release.release, pod)
    wanted = dict(value.split("=", 1) for value in flags[1::2])
    environ = played.exec(workload, "cat", "/proc/1/environ").split("\0")
    seen = dict(entry.split("=", 1) for entry in environ if "=" in entry)
    assert {name: seen.get(name) for name in wanted} == wanted
    # The values the chart was given reached the process.
    assert seen["EDA_MYSQL__HOST"] == "127.0.0.1"
    assert seen["EDA_KAFKA__BOOTSTRAP_SERVERS"] == played.release.kafka_bootstrap
    assert seen["EDA_KAFKA__IDEMPOTENT_PRODUCER"] == "false"  # env over the ConfigMap


async def test_an_order_placed_in_its_pod_is_confirmed_by_the_subscriber_in_its_pod(
    played: PlayedRelease,
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for workload in ("user-service", "order-service"):
            await eventually(functools.partial(ok, client, f"{played.url(workload)}/readyz"),
                             timeout=120, interval=0.5, what=f"{workload} ready")  # fmt: skip
        email = f"kp{random.randrange(10**9)}@example.com"
        registered = await client.post(
            f"{played.url('user-service')}/users", json={"email": email, "name": "Pod"}
        )
        assert registered.status_code == 201, registered.text
        user_id = registered.json()["id"]
        placed = await client.post(
            f"{played.url('order-service')}/orders",
            json=one_item_order(user_id, sku="pod", quantity=2, unit_price="3.50"),
        )
        assert placed.status_code == 202, placed.text
        order_url = f"{played.url('order-service')}/orders/{placed.json()['id']}"

        async def confirmed() -> bool:
            status = (await client.get(order_url)).json()["status"]
            assert status != "rejected"
            return bool(status == "confirmed")

        await eventually(confirmed, timeout=90, interval=0.25, what="the order confirmed")

    def one_trace() -> bool:
        services = {"order-service", "orders.order-placed"}
        return any(
            services <= {span.service for span in spans}
            for spans in played.collector.by_trace().values()
        )

    await eventually(one_trace, timeout=30, what="one trace over both pods")


async def test_spans_carry_the_pod_and_version_the_rendered_env_names(
    played: PlayedRelease,
) -> None:
    """The resource of each API's exported spans, against the env its rendered pod sets:
    the image tag as service.version, the Downward API's pod fields as k8s.*, and the
    chart's percent-encoded OTEL_RESOURCE_ATTRIBUTES decoded."""
    async with httpx.AsyncClient(timeout=10) as client:
        for workload in ("user-service", "order-service"):
            path = "/users" if workload == "user-service" else "/orders"
            await client.get(f"{played.url(workload)}{path}/{uuid.uuid4()}")
    for workload in ("user-service", "order-service"):
        container = played.pods[workload].container
        pod = played.pods[workload].deployment["metadata"]["name"]
        flags = env_flags(
            container, played.config_maps, played.secrets, played.release.release, pod
        )
        env = dict(value.split("=", 1) for value in flags[1::2])
        expected = {
            "service.name": workload,
            "service.version": env["EDA_SERVICE_VERSION"],
            "k8s.namespace.name": env["K8S_NAMESPACE_NAME"],
            "k8s.pod.name": env["K8S_POD_NAME"],
            "k8s.pod.uid": env["K8S_POD_UID"],
            "k8s.node.name": env["K8S_NODE_NAME"],
        }
        for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
            if pair:
                key, value = pair.split("=", 1)
                expected[key] = urllib.parse.unquote(value)
        assert env["EDA_SERVICE_VERSION"] == played.release.image_tag

        def exported(service: str = workload) -> bool:
            return any(span.service == service for span in played.collector.spans)

        await eventually(exported, timeout=30, what=f"a span from {workload}")
        resource = next(s.resource for s in played.collector.spans if s.service == workload)
        assert {key: resource.get(key) for key in expected} == expected


async def test_each_pod_stops_cleanly_within_its_grace_period(played: PlayedRelease) -> None:
    for workload, pod in played.pods.items():
        grace = int(pod.spec.get("terminationGracePeriodSeconds", 30))
        stopped = await asyncio.to_thread(
            podman.podman, played.conf, "pod", "stop", "--time", str(grace), pod.name,
            timeout=grace + 30,
        )  # fmt: skip
        assert stopped.returncode == 0, stopped.stderr
        name = kube_play.container_name(pod.name, pod.container)
        code = podman.podman(played.conf, "inspect", "--format", "{{.State.ExitCode}}", name)
        logs = podman.podman(played.conf, "logs", name)
        assert code.stdout.strip() == "0", f"{workload}: {logs.stdout[-3000:]}{logs.stderr[-3000:]}"
        assert "Traceback" not in logs.stdout + logs.stderr
