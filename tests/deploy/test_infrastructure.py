"""The in-chart infrastructure against the versions it runs: Jaeger v2 configured by its
file, Kafka 4 in KRaft mode, RabbitMQ 4 and MySQL 8.4 without the settings those
versions refuse, each image pinned by tag with a date to revisit it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.deploy.chart import CHART, Manifest, documents, name, of_kind, render, values_of

LOCAL = ("values.yaml", "values-local.yaml")
MAJORS = {
    "kafka": "apache/kafka:4.",
    "rabbitmq": "rabbitmq:4.",
    "mysql": "mysql:8.4.",
    "jaeger": "jaegertracing/jaeger:2.",
}


def workload(manifests: list[Manifest], component: str) -> Manifest:
    (found,) = [
        m
        for m in manifests
        if m["kind"] in {"Deployment", "StatefulSet"} and m["metadata"]["name"] == name(component)
    ]
    return found


def container(manifests: list[Manifest], component: str) -> dict[str, Any]:
    containers: list[dict[str, Any]] = workload(manifests, component)["spec"]["template"]["spec"][
        "containers"
    ]
    (only,) = containers
    return only


def env_names(c: dict[str, Any]) -> set[str]:
    return {e["name"] for e in c.get("env") or []}


def jaeger_config(manifests: list[Manifest]) -> dict[str, Any]:
    config_map = of_kind(manifests, "ConfigMap")[name("jaeger-config")]
    config: dict[str, Any] = yaml.safe_load(config_map["data"]["config.yaml"])
    return config


def port_of(endpoint: str) -> int:
    host, _, port = endpoint.rpartition(":")
    assert host == "0.0.0.0", f"{endpoint} binds {host!r}: in a pod it must be 0.0.0.0"  # noqa: S104
    return int(port)


@pytest.mark.parametrize("values_file", LOCAL)
def test_jaeger_v2_reads_its_configuration_file_from_the_config_map(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    rendered = manifests[values_file]
    jaeger = container(rendered, "jaeger")
    assert jaeger["image"].startswith("jaegertracing/jaeger:2.")
    assert jaeger["args"] == ["--config", "/etc/jaeger/config.yaml"]
    # v2 reads no v1 variables (COLLECTOR_OTLP_ENABLED, SPAN_STORAGE_TYPE, ...).
    assert not jaeger.get("env")
    (mount,) = [m for m in jaeger["volumeMounts"] if m["mountPath"] == "/etc/jaeger"]
    pod = workload(rendered, "jaeger")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert volume["configMap"]["name"] == name("jaeger-config")


@pytest.mark.parametrize("values_file", LOCAL)
def test_jaeger_receives_otlp_stores_in_memory_and_serves_the_ui(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    rendered = manifests[values_file]
    config = jaeger_config(rendered)
    service = config["service"]
    assert set(service["extensions"]) == {"jaeger_storage", "jaeger_query", "healthcheckv2"}
    traces = service["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"]
    assert traces["exporters"] == ["jaeger_storage_exporter"]
    protocols = config["receivers"]["otlp"]["protocols"]
    ports = container(rendered, "jaeger")["ports"]
    container_ports = {p["name"]: p["containerPort"] for p in ports}
    assert port_of(protocols["grpc"]["endpoint"]) == container_ports["otlp-grpc"] == 4317
    assert port_of(protocols["http"]["endpoint"]) == container_ports["otlp-http"] == 4318
    storage = config["exporters"]["jaeger_storage_exporter"]["trace_storage"]
    assert config["extensions"]["jaeger_query"]["storage"]["traces"] == storage
    backend = config["extensions"]["jaeger_storage"]["backends"][storage]
    max_traces = values_of(values_file)["infrastructure"]["jaeger"]["maxTraces"]
    assert backend == {"memory": {"max_traces": max_traces}}
    query = config["extensions"]["jaeger_query"]["http"]["endpoint"]
    assert port_of(query) == container_ports["ui"] == 16686
    service_ports = {
        p["name"]: p["port"] for p in of_kind(rendered, "Service")[name("jaeger")]["spec"]["ports"]
    }
    assert service_ports == {"otlp-grpc": 4317, "otlp-http": 4318, "ui": 16686}


@pytest.mark.parametrize("values_file", LOCAL)
def test_jaeger_probes_ask_the_health_check_extension(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    rendered = manifests[values_file]
    health = jaeger_config(rendered)["extensions"]["healthcheckv2"]
    assert health["use_v2"] is True
    health_port = port_of(health["http"]["endpoint"])
    jaeger = container(rendered, "jaeger")
    container_ports = {p["name"]: p["containerPort"] for p in jaeger["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        get = jaeger[probe]["httpGet"]
        assert get["path"] == "/status", probe
        assert container_ports[get["port"]] == health_port == 13133, probe


def test_a_jaeger_configuration_change_replaces_its_pod() -> None:
    def checksum(*extra: str) -> str:
        template = workload(documents(render("values.yaml", *extra)), "jaeger")["spec"]["template"]
        annotation: str = template["metadata"]["annotations"]["checksum/config"]
        return annotation

    assert checksum() != checksum("--set", "infrastructure.jaeger.maxTraces=5")


def test_each_infrastructure_image_is_pinned_to_its_current_major_with_a_revisit_note() -> None:
    infrastructure = values_of("values.yaml")["infrastructure"]
    text = (CHART / "values.yaml").read_text()
    for component, prefix in MAJORS.items():
        image = infrastructure[component]["image"]
        assert image.startswith(prefix), image
        assert re.fullmatch(r"[^:@\s]+:\d+\.\d+\.\d+(-management)?", image), image
        block = text[: text.index(f"image: {image}")].rsplit(f"  {component}:", 1)[1]
        assert "Revisit" in block or "revisit" in block, f"{component}: no note on when to revisit"


@pytest.mark.parametrize("values_file", LOCAL)
def test_kafka_runs_kraft_without_what_kafka_4_removed(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    kafka = container(manifests[values_file], "kafka")
    env = {e["name"]: e.get("value") for e in kafka["env"]}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] == "CONTROLLER"
    assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"]
    removed = ("ZOOKEEPER", "MESSAGE_FORMAT_VERSION", "INTER_BROKER_PROTOCOL_VERSION")
    assert not [v for v in env if any(r in v for r in removed)]
    # One node holds every internal topic: none may ask for more replicas.
    for variable in (
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
        "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
    ):
        assert env[variable] == "1", variable


@pytest.mark.parametrize("values_file", LOCAL)
def test_rabbitmq_4_gets_no_setting_it_refuses(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    rendered = manifests[values_file]
    rabbitmq = container(rendered, "rabbitmq")
    # The image's entrypoint exits on these; 4.0 fails to boot on the settings below.
    refused = re.compile(
        r"RABBITMQ_(DEFAULT_(USER|PASS)_FILE|VM_MEMORY_HIGH_WATERMARK|SSL_|MANAGEMENT_SSL_)"
    )
    assert not [v for v in env_names(rabbitmq) if refused.match(v)]
    config = of_kind(rendered, "ConfigMap")[name("rabbitmq-config")]["data"]
    text = "\n".join(config.values())
    assert "vm_memory_high_watermark.absolute" in text
    for setting in ("classic_queue.default_version", "randomized_startup_delay_range", "ha-"):
        assert setting not in text, setting


@pytest.mark.parametrize("values_file", LOCAL)
def test_mysql_8_4_gets_no_option_it_removed(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    mysql = container(manifests[values_file], "mysql")
    arguments = " ".join(mysql.get("args") or [])
    assert mysql["image"].startswith("mysql:8.4.")
    assert "default-authentication-plugin" not in arguments
    assert "mysql-native-password" not in arguments
