"""The chart's order-service pod rendered with its links secured, run by `podman kube
play` on the host's network against servers that accept nothing else: Kafka over TLS
(Tansu behind stunnel, ``kafka_tls``), MariaDB requiring TLS (``mysql_tls``, its users
``REQUIRE SSL``) reached with ``VERIFY_IDENTITY`` and a client certificate, RabbitMQ over
amqps (``rabbitmq_tls``, which order.placed is routed to, so the API checks it at start).

The Secrets the values name (``existingSecret``, ``migrationSecret``) are not rendered:
they are made here as Kubernetes Secret documents from the test certificates and the
service users, and given to kube play as tests/containers/kube_play.py says (its
``secret`` volumes as read-only hostPath folders, Podman 4.3 mounting none usable).

The `migrate` init container migrates as the DDL user over TLS; the pod answers its
probes and /readyz; its process reads the mounted files the environment names; and the
same pod given a Kafka CA that did not sign the broker's certificate stops with one
line naming Kafka and EDA_KAFKA__SSL_CAFILE."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml

from shared.settings import RabbitMQSettings
from tests.containers import kube_play, podman
from tests.containers.kube_play import Pod, ok
from tests.containers.local_release import LocalRelease
from tests.containers.pod_spec import env_flags
from tests.deploy.chart import Manifest, of_kind
from tests.support.otlp_collector import Collector, running_collector
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology
from tests.support.secured.certs import Certificates
from tests.support.secured.kafka import SecuredKafka
from tests.support.secured.mysql import SecuredMySQL, ServiceUsers, root_connection, service_users
from tests.support.secured.rabbitmq import SecuredRabbitMQ

# The first test of a session waits for the images to be built (about 50 s cold).
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

WORKLOAD = "order-service"
# Every setting of the secured links that names a mounted file.
FILE_SETTINGS = (
    "EDA_KAFKA__SSL_CAFILE",
    "EDA_RABBITMQ__SSL_CAFILE",
    "EDA_MYSQL__SSL_CA",
    "EDA_MYSQL__SSL_CERT",
    "EDA_MYSQL__SSL_KEY",
)

# Run in the pod's container by `podman exec`, with its environment and mounted files:
# the process's own MySQL connection options, and what the server says of the session.
SESSION_TLS = """
import asyncio, json
import aiomysql
from shared.links.mysql import mysql_connect_options
from shared.settings import load_settings

async def main():
    mysql = load_settings().mysql
    connection = await aiomysql.connect(**mysql_connect_options(mysql), db=mysql.database)
    async with connection.cursor() as cursor:
        await cursor.execute(
            "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')"
        )
        status = dict(await cursor.fetchall())
        await cursor.execute("SELECT CURRENT_USER()")
        (user,) = await cursor.fetchone()
    connection.close()
    print(json.dumps({**status, "user": user, "mode": mysql.ssl_mode}))

asyncio.run(main())
"""


@dataclass
class SecuredLinks:
    """The session's secured servers and this module's database on MariaDB."""

    certs: Certificates
    kafka: SecuredKafka
    mysql: SecuredMySQL
    rabbitmq: SecuredRabbitMQ
    users: ServiceUsers


@dataclass
class PlayedPod:
    release: LocalRelease
    conf: Path
    pod: Pod
    config_maps: dict[str, dict[str, str]]
    secrets: dict[str, dict[str, str]]
    migrate_output: str

    @property
    def container_name(self) -> str:
        return kube_play.container_name(self.pod.name, self.pod.container)

    def logs(self) -> str:
        result = podman.podman(self.conf, "logs", self.container_name)
        return result.stdout + result.stderr

    def exec(self, *command: str) -> str:
        result = podman.podman(self.conf, "exec", self.container_name, *command)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.release.ports[WORKLOAD]}{path}"


def secured_values(release: LocalRelease, links: SecuredLinks) -> dict[str, Any]:
    """The values of docs/deploy.md's "Connecting to managed infrastructure" for these
    servers; each Secret named after the release."""
    name = release.release
    return {
        "kafka": {"security": {"protocol": "SSL", "tls": {"existingSecret": f"{name}-kafka-tls"}}},
        "rabbitmq": {
            "host": "localhost",  # the name in the server certificate
            "port": links.rabbitmq.port,
            "scheme": "amqps",
            "tls": {"existingSecret": f"{name}-rabbitmq-tls"},
        },
        "mysql": {
            "host": links.mysql.host,  # 127.0.0.1, in the certificate as an IP address
            "port": links.mysql.port,
            "tls": {
                "mode": "VERIFY_IDENTITY",
                "existingSecret": f"{name}-mysql-tls",
                "clientCertificate": True,
            },
            "databases": {
                "orders": {
                    "name": links.users.database,
                    "existingSecret": f"{name}-orders-db",
                    "migrationSecret": f"{name}-orders-db-migration",
                }
            },
        },
    }


def existing_secrets(
    release: LocalRelease, links: SecuredLinks, *, kafka_ca: Path
) -> list[Manifest]:
    """What an operator creates before the install (kubectl create secret generic ...).
    The Kafka Secret holds a client certificate too, which the chart does not mount
    without ``clientCertificate``."""
    certs, users = links.certs, links.users
    tls = {"tls.crt": certs.client_cert.read_text(), "tls.key": certs.client_key.read_text()}
    values = {
        "kafka-tls": {"ca.crt": kafka_ca.read_text(), **tls},
        "rabbitmq-tls": {"ca.crt": certs.ca.read_text()},
        "mysql-tls": {"ca.crt": certs.ca.read_text(), **tls},
        "orders-db": {"username": users.dml.name, "password": users.dml.password},
        "orders-db-migration": {"username": users.ddl.name, "password": users.ddl.password},
    }
    return [
        secret_document(f"{release.release}-{suffix}", release.release, data)
        for suffix, data in values.items()
    ]


def secret_document(name: str, namespace: str, values: dict[str, str]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "type": "Opaque",
        "data": {key: base64.b64encode(value.encode()).decode() for key, value in values.items()},
    }


@contextlib.asynccontextmanager
async def played_order_service(
    conf: Path,
    image_tag: str,
    release: LocalRelease,
    existing: list[Manifest],
    folder: Path,
) -> AsyncIterator[PlayedPod]:
    """The release's order-service pod played (its init container run first), with the
    rendered Secrets and ``existing``; removed at the end of the block."""
    manifests = release.manifests(folder)
    config_maps = {
        name: {k: str(v) for k, v in manifest["data"].items()}
        for name, manifest in of_kind(manifests, "ConfigMap").items()
    }
    documents = [*of_kind(manifests, "Secret").values(), *existing]
    secrets = {doc["metadata"]["name"]: kube_play.secret_values(doc) for doc in documents}
    config_map_file = folder / f"configmaps-{release.suffix}.yaml"
    config_map_file.write_text(yaml.safe_dump_all(of_kind(manifests, "ConfigMap").values()))
    deployment = release.pods(manifests)[WORKLOAD]
    mounted = kube_play.secrets_as_host_paths(deployment, secrets, folder / "secret-volumes")
    created: list[str] = []
    volumes: list[str] = []
    pods: list[str] = []
    try:
        for document in documents:
            created.append(kube_play.create_secret(conf, document))
        inits = await asyncio.to_thread(
            kube_play.run_init_containers, conf, mounted, config_maps=config_maps,
            secrets=secrets, namespace=release.release, image_tag=image_tag,
        )  # fmt: skip
        playable = kube_play.playable(
            mounted, f"{release.release}-{WORKLOAD}", config_maps, release.release
        )
        volumes += kube_play.volume_names(playable)
        pods.append(
            await asyncio.to_thread(kube_play.play, conf, playable, config_map_file, folder)
        )
        output = "".join(result.stdout + result.stderr for result in inits)
        yield PlayedPod(release, conf, Pod(pods[0], deployment), config_maps, secrets, output)
    finally:
        await asyncio.to_thread(kube_play.remove, conf, pods, created, volumes)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def links(
    tls_certs: Certificates,
    kafka_tls: SecuredKafka,
    mysql_tls: SecuredMySQL,
    rabbitmq_tls: SecuredRabbitMQ,
) -> AsyncIterator[SecuredLinks]:
    async with service_users(mysql_tls) as users:
        yield SecuredLinks(tls_certs, kafka_tls, mysql_tls, rabbitmq_tls, users)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def collector() -> AsyncIterator[Collector]:
    async with running_collector() as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def played(
    podman_conf: Path,
    image_tag: str,
    links: SecuredLinks,
    collector: Collector,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[PlayedPod]:
    folder = tmp_path_factory.mktemp("kube-play-secured")
    release = LocalRelease(links.kafka.bootstrap, collector.url, image_tag)
    release.overrides = secured_values(release, links)
    existing = existing_secrets(release, links, kafka_ca=links.certs.ca)
    try:
        async with played_order_service(podman_conf, image_tag, release, existing, folder) as pod:
            yield pod
    finally:
        await delete_topology(_rabbitmq_settings(release), [])


def _rabbitmq_settings(release: LocalRelease) -> RabbitMQSettings:
    """The exchanges the API declared, deleted over the broker's plaintext port."""
    return RabbitMQSettings(
        url="amqp://guest:guest@127.0.0.1:5672/",
        exchange=f"{release.prefix}events",
        queue_prefix=release.prefix,
    )


async def test_migrate_ran_over_tls_as_the_migration_user(
    played: PlayedPod, links: SecuredLinks
) -> None:
    # The runtime user may not CREATE: the tables are the migration user's doing.
    assert f"to {links.users.database}" in played.migrate_output, played.migrate_output
    async with root_connection(links.mysql) as connection, connection.cursor() as cursor:
        await cursor.execute(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
            (links.users.database,),
        )
        (tables,) = await cursor.fetchone()
    assert tables > 0


async def test_the_pod_answers_its_probes_and_readyz_over_the_secured_links(
    played: PlayedPod,
) -> None:
    container = played.pod.container
    async with httpx.AsyncClient(timeout=2) as client:
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = container[kind]["httpGet"]
            url = f"http://127.0.0.1:{kube_play.port_of(container, probe['port'])}{probe['path']}"
            await eventually(
                functools.partial(ok, client, url),
                timeout=120,
                interval=0.5,
                what=functools.partial(_not_answering, url, played),
            )
        ready = await client.get(played.url("/readyz"))
    assert ready.json() == {"status": "ready", "checks": {"database": True, "outbox_relay": True}}
    state = podman.podman(
        played.conf, "inspect", "--format", "{{.State.Status}} {{.RestartCount}}",
        played.container_name,
    )  # fmt: skip
    assert state.stdout.split() == ["running", "0"], state.stdout + state.stderr


async def test_the_process_reads_the_mounted_files_its_environment_names(
    played: PlayedPod,
) -> None:
    container = played.pod.container
    wanted = dict(
        flag.split("=", 1)
        for flag in env_flags(
            container,
            played.config_maps,
            played.secrets,
            played.release.release,
            played.pod.deployment["metadata"]["name"],
        )[1::2]
    )
    environ = played.exec("cat", "/proc/1/environ").split("\0")
    seen = dict(entry.split("=", 1) for entry in environ if "=" in entry)
    assert {name: seen.get(name) for name in wanted} == wanted
    assert seen["EDA_KAFKA__SECURITY_PROTOCOL"] == "SSL"
    assert seen["EDA_MYSQL__SSL_MODE"] == "VERIFY_IDENTITY"
    port = played.release.values()["rabbitmq"]["port"]
    assert seen["EDA_RABBITMQ__URL"].startswith(f"amqps://guest:guest@localhost:{port}/")
    runtime_user = played.secrets[f"{played.release.release}-orders-db"]["username"]
    assert seen["EDA_MYSQL__USER"] == runtime_user

    files = _secret_files(played)
    named = {name: seen[name] for name in FILE_SETTINGS}
    assert set(named.values()) <= set(files), f"{named} not all among the mounted {set(files)}"
    assert set(files) - set(named.values()) == set(), "a mounted file no setting names"
    for path, content in files.items():
        # As the container's user (10001), through the read-only mount.
        assert played.exec("cat", path) == content, path
        assert played.exec("stat", "-c", "%a %g", path).split() == ["440", "10001"], path
    mountinfo = played.exec("cat", "/proc/1/mountinfo").splitlines()
    mounts = {fields[4]: fields[5].split(",") for fields in map(str.split, mountinfo)}
    folders = {path.rsplit("/", 1)[0] for path in files}
    for folder in folders:
        assert "ro" in mounts[folder], (folder, mounts.get(folder))
        listed = set(played.exec("ls", "-A", folder).split())
        assert listed == {path.rsplit("/", 1)[1] for path in files if path.startswith(f"{folder}/")}
    # The Kafka Secret's client certificate is not mounted without clientCertificate.
    assert "tls.key" not in played.exec("ls", "-A", "/etc/eda/kafka/tls")


async def test_the_mysql_session_is_encrypted_and_its_server_verified(
    played: PlayedPod, links: SecuredLinks
) -> None:
    """/readyz answering 200 under VERIFY_IDENTITY already proves it: the process checks
    ``Ssl_cipher`` on its pool's first connection at REQUIRED and above and stops
    otherwise (shared.links.mysql.require_encrypted), and the server refuses these users
    a plaintext session (REQUIRE SSL, require_secure_transport). Here the container makes
    the process's own connection, from its environment and mounted files, and shows it."""
    session = json.loads(played.exec("python", "-c", SESSION_TLS))
    assert session["mode"] == "VERIFY_IDENTITY"
    assert session["Ssl_cipher"], session
    assert session["Ssl_version"].startswith("TLSv1."), session
    assert session["user"] == f"{links.users.dml.name}@%", session


async def test_a_kafka_ca_that_did_not_sign_the_broker_stops_the_pod_with_one_line(
    podman_conf: Path,
    image_tag: str,
    links: SecuredLinks,
    collector: Collector,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("kube-play-wrong-ca")
    release = LocalRelease(links.kafka.bootstrap, collector.url, image_tag)
    release.overrides = secured_values(release, links)
    existing = existing_secrets(release, links, kafka_ca=links.certs.other_ca)
    async with played_order_service(podman_conf, image_tag, release, existing, folder) as pod:
        # kube play restarts the container at once (the Deployment's restartPolicy,
        # without the kubelet's back-off) and resets its exit code then: each exit is
        # read from podman's events.
        await eventually(
            functools.partial(_exited, pod), timeout=120, interval=0.5,
            what=lambda: f"the container exited\n{pod.logs()[-3000:]}",
        )  # fmt: skip
        codes = await _exit_codes(pod)
        logs = pod.logs()
    assert codes, "no exit"
    assert "0" not in codes, codes
    assert "Traceback" not in logs, logs
    # Every run of the container wrote the same one line.
    lines = {line for line in logs.splitlines() if line.strip()}
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith(f"{WORKLOAD}: Kafka at {links.kafka.bootstrap}: "), line
    assert line.endswith("check EDA_KAFKA__SSL_CAFILE"), line
    assert "certificate does not verify" in line, line


async def _exited(pod: PlayedPod) -> bool:
    return bool(await _exit_codes(pod))


async def _exit_codes(pod: PlayedPod) -> list[str]:
    """The exit code of each run of the pod's container that ended, oldest first."""
    events = await asyncio.to_thread(
        podman.podman, pod.conf, "events", "--stream=false", "--filter", "event=died",
        "--filter", f"container={pod.container_name}", "--format", "{{.ContainerExitCode}}",
    )  # fmt: skip
    assert events.returncode == 0, events.stderr
    return events.stdout.split()


def _not_answering(url: str, played: PlayedPod) -> str:
    return f"{url} answering 200\n{played.logs()[-4000:]}"


def _secret_files(played: PlayedPod) -> dict[str, str]:
    """Path in the container -> content, for every file of a Secret volume the
    container mounts, as the rendered Deployment says."""
    volumes = {volume["name"]: volume for volume in played.pod.spec["volumes"]}
    files = {}
    for mount in played.pod.container["volumeMounts"]:
        source = volumes[mount["name"]].get("secret")
        if source is None:
            continue
        values = played.secrets[source["secretName"]]
        for item in source["items"]:
            files[f"{mount['mountPath']}/{item['path']}"] = values[item["key"]]
    return files
