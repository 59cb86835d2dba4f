"""The chart agrees with the code: one subscriber Deployment per handled event type,
every setting the code reads either provided or safely defaulted, ports, probe paths
and metrics ports as the processes serve them."""

from __future__ import annotations

import base64
import datetime
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from pydantic_settings import BaseSettings

from order_service import config as order_config
from order_service.entrypoints.app import create_app as create_order_app
from scaling_operator.settings import OperatorSettings
from shared.messaging import check_routes
from shared.service import HttpSettings
from shared.settings import ENV_PREFIX, NESTED_DELIMITER, Settings, load_settings
from shared.telemetry.tracing import tracing_wanted
from subscribers.catalog import SUBSCRIBERS
from subscribers.cli import DEFAULT_PORT as SUBSCRIBER_PORT
from subscribers.health import health_server
from tests.deploy.chart import CHART, REPO, Manifest, name, of_kind, pod_templates
from user_service.config import SERVICE as USER_SERVICE
from user_service.entrypoints.app import create_app as create_user_app

SOURCES = [REPO / "shared" / "src", *sorted((REPO / "services").glob("*/src"))]
ENVIRONMENTS = ("values-local.yaml", "values-staging.yaml")
# Settings models, with the prefix their variables carry.
MODELS: list[tuple[type[BaseSettings], str]] = [
    (Settings, ENV_PREFIX),
    (HttpSettings, ENV_PREFIX),
    (order_config.EventHandlerSettings, ENV_PREFIX),
    (OperatorSettings, OperatorSettings.model_config.get("env_prefix") or ""),
]


def _variables(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, Any]]:
    """(environment variable, pydantic field) for every field, nested groups flattened."""
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            group = f"{prefix}{field_name.upper()}{NESTED_DELIMITER}"
            yield from _variables(annotation, group)
        else:
            yield f"{prefix}{field_name.upper()}", info


def settings_variables() -> dict[str, Any]:
    return {var: info for model, prefix in MODELS for var, info in _variables(model, prefix)}


def _file_variables(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, str]]:
    """(`<setting>_FILE`, `<setting>`) for every setting a group reads from a file too
    (its `file_fields`: the content of the file the variable names)."""
    for field_name in getattr(model, "file_fields", frozenset()):
        variable = f"{prefix}{field_name.upper()}"
        yield f"{variable}_FILE", variable
    for field_name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            group = f"{prefix}{field_name.upper()}{NESTED_DELIMITER}"
            yield from _file_variables(annotation, group)


def file_variables() -> dict[str, str]:
    return {f: v for model, prefix in MODELS for f, v in _file_variables(model, prefix)}


_READ = re.compile(r"""environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']\s*(\)|\]|,)""")


def plain_variables() -> dict[str, bool]:
    """Variables the code reads itself: name -> read without a default."""
    found: dict[str, bool] = {}
    for source in SOURCES:
        for path in source.rglob("*.py"):
            for variable, closing in _READ.findall(path.read_text()):
                required = closing == "]"
                found[variable] = found.get(variable, False) or required
    return found


def container_environments(
    manifests: list[Manifest], *, migrations: bool = True
) -> Iterator[tuple[str, dict[str, str]]]:
    """(workload, environment) of every application container, secrets resolved where the
    chart made them and a placeholder where an existing Secret holds them. A migration
    Job reads only the database settings."""
    config_maps = of_kind(manifests, "ConfigMap")
    secrets = of_kind(manifests, "Secret")
    for workload, template in pod_templates(manifests):
        labels = template["metadata"]["labels"]
        if labels["eda.dev/tier"] != "app":
            continue
        if not migrations and labels.get("eda.dev/role") == "migration":
            continue
        for container in template["spec"]["containers"]:
            environment: dict[str, str] = {}
            for source in container.get("envFrom", []):
                environment.update(config_maps[source["configMapRef"]["name"]]["data"])
            for variable in container.get("env", []):
                environment[variable["name"]] = _value(variable, secrets)
            yield workload["metadata"]["name"], environment


_PUBLIC_KEY = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def _value(variable: dict[str, Any], secrets: dict[str, Manifest]) -> str:
    if "value" in variable:
        return str(variable["value"])
    source = variable["valueFrom"]
    if "secretKeyRef" in source:
        reference = source["secretKeyRef"]
        secret = secrets.get(reference["name"])
        if secret is None:
            if reference["key"].endswith(".pem"):
                return _PUBLIC_KEY  # the services check it is a usable key at start
            # An existing Secret's URL is amqps:// (values-staging.yaml, docs/deploy.md).
            broker = "rabbitmq" in reference["name"] or reference["key"] == "rabbitmq-url"
            return "amqps://u:p@rabbitmq:5671/" if broker else "x"
        if "stringData" in secret:
            return str(secret["stringData"][reference["key"]])
        return base64.b64decode(secret["data"][reference["key"]]).decode()
    return "from-the-downward-api"


def test_one_subscriber_deployment_per_handled_event_type(
    manifests: dict[str, list[Manifest]],
) -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())["subscribers"]
    by_event_type = {entry["eventType"]: (key, entry) for key, entry in values.items()}
    assert set(by_event_type) == set(SUBSCRIBERS)
    for event_type, subscriber in SUBSCRIBERS.items():
        key, entry = by_event_type[event_type]
        assert entry["subscriberName"] == subscriber.name
        assert entry["database"] == subscriber.database
        assert key == subscriber.name.replace(".", "-")
    deployments = of_kind(manifests["values.yaml"], "Deployment")
    subscribers = {
        d["metadata"]["annotations"]["eda.dev/event-type"]
        for d in deployments.values()
        if d["metadata"]["labels"].get("eda.dev/role") == "subscriber"
    }
    assert subscribers == set(SUBSCRIBERS)


# The pod's identity and image version (eda.podIdentityEnv), the contract with
# shared.telemetry's resource, which names them in constants rather than literal
# environ reads (docs/telemetry.md, Resource attributes in Kubernetes).
POD_IDENTITY_VARIABLES = frozenset({"EDA_SERVICE_VERSION"})


def test_every_variable_the_chart_sets_is_one_the_code_reads(
    manifests: dict[str, list[Manifest]],
) -> None:
    known = set(settings_variables()) | set(file_variables()) | set(plain_variables())
    known |= POD_IDENTITY_VARIABLES
    for values_file in ENVIRONMENTS:
        for workload, environment in container_environments(manifests[values_file]):
            for variable in environment:
                if variable.startswith("EDA_"):
                    assert variable in known, f"{workload}: {variable} is read by nothing"


def test_settings_the_chart_leaves_out_have_defaults_fit_for_a_cluster(
    manifests: dict[str, list[Manifest]],
) -> None:
    variables = settings_variables()
    from_files = {setting: file for file, setting in file_variables().items()}
    for values_file in ENVIRONMENTS:
        for workload, environment in container_environments(
            manifests[values_file], migrations=False
        ):
            for variable, info in variables.items():
                if variable in environment or from_files.get(variable) in environment:
                    continue
                assert not info.is_required(), f"{workload}: {variable} has no default"
                default = str(info.get_default(call_default_factory=True))
                # A developer machine's address never reaches a pod: the chart must say.
                relevant = variable.startswith("EDA_OPERATOR__") == (workload == name("operator"))
                if relevant:
                    assert "127.0.0.1" not in default, f"{workload}: {variable}={default}"
            for variable, required in plain_variables().items():
                assert not required or variable in environment, f"{workload}: {variable}"


def test_credentials_and_addresses_come_from_the_chart(
    manifests: dict[str, list[Manifest]],
) -> None:
    for values_file in ENVIRONMENTS:
        rendered = manifests[values_file]
        for workload, environment in container_environments(rendered, migrations=False):
            for variable in ("EDA_KAFKA__BOOTSTRAP_SERVERS", "EDA_RABBITMQ__URL"):
                assert variable in environment, f"{workload}: {variable}"
        for workload, environment in container_environments(rendered):
            if workload != name("operator"):
                for part in ("HOST", "PORT", "USER", "PASSWORD", "DATABASE"):
                    assert f"EDA_MYSQL__{part}" in environment, f"{workload}: {part}"


# Where the chart mounts the connections' Secrets (docs/deploy.md): a test stands files
# of the same shape in for them.
MOUNTS = "/etc/eda/"


def _pem_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eda test CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        certificate.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    )


def with_mounted_files(environment: dict[str, str], root: Path) -> dict[str, str]:
    """The environment with each path below the chart's mounts moved below root, where
    a file of the kind the variable names now exists (a PEM certificate or key, or a
    credential)."""
    certificate, key = _pem_pair()
    moved = dict(environment)
    for variable, value in environment.items():
        if not value.startswith(MOUNTS):
            continue
        path = root / value.removeprefix("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if variable.endswith(("KEYFILE", "SSL_KEY")):
            path.write_text(key)
        elif variable.endswith(("CAFILE", "CERTFILE", "SSL_CA", "SSL_CERT")):
            path.write_text(certificate)
        else:
            path.write_text(f"{path.name}-from-the-secret\n")
        moved[variable] = str(path)
    return moved


@pytest.mark.parametrize("values_file", ENVIRONMENTS)
def test_the_rendered_environment_loads_as_settings(
    values_file: str,
    manifests: dict[str, list[Manifest]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    rendered = container_environments(manifests[values_file], migrations=False)
    for workload, as_rendered in rendered:
        environment = with_mounted_files(as_rendered, tmp_path / workload)
        with monkeypatch.context() as patch:
            for variable in [v for v in os.environ if v.startswith("EDA_")]:
                patch.delenv(variable)
            for variable, value in environment.items():
                patch.setenv(variable, value)
            settings = load_settings()
            check_routes(settings)
            assert settings.kafka.idempotent_producer is True, workload
            assert settings.kafka.fetch_max_wait_ms == 500, workload  # real Kafka: the default
            if "EDA_HTTP_PORT" in environment:
                assert HttpSettings().http_host == "0.0.0.0", workload  # noqa: S104
            if values_file == "values-local.yaml":
                assert tracing_wanted(environment), workload
                assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(":4318"), workload
                assert settings.routes == {"order.placed": "rabbitmq"}, workload


def test_every_workload_names_itself_in_its_traces(manifests: dict[str, list[Manifest]]) -> None:
    for values_file in ENVIRONMENTS:
        names = [
            environment["OTEL_SERVICE_NAME"]
            for _, environment in container_environments(manifests[values_file])
        ]
        assert len(names) == len(set(names)), names


def _paths(app: FastAPI) -> set[str]:
    """The probe and metrics paths the app answers (its lifespan is not run: /readyz
    answers 503 then, which still proves the route is there)."""
    client = TestClient(app)
    assert client.get("/no-such-path").status_code == 404
    return {p for p in ("/healthz", "/readyz", "/metrics") if client.get(p).status_code != 404}


def test_ports_probes_and_metrics_match_what_the_processes_serve(
    manifests: dict[str, list[Manifest]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The APIs serve /metrics on EDA_METRICS_PORT (prometheus_client's own server, any
    path) and no longer on their API port; a subscriber on its health port."""
    rendered = manifests["values.yaml"]
    deployments = of_kind(rendered, "Deployment")
    services = of_kind(rendered, "Service")
    metrics_ports = {
        component: int(_env(deployments[name(component)])["EDA_METRICS_PORT"])
        for component in ("user-service", "order-service")
    }
    served: dict[str, tuple[int, set[str], int | None]] = {}
    for component, service_port, create in (
        ("user-service", USER_SERVICE.http_port, create_user_app),
        ("order-service", order_config.SERVICE.http_port, create_order_app),
    ):
        monkeypatch.setenv("EDA_METRICS_PORT", str(metrics_ports[component]))
        assert HttpSettings().metrics_port == metrics_ports[component]
        served[component] = (
            service_port,
            _paths(create(run_relay=False)),
            metrics_ports[component],
        )
    monkeypatch.delenv("EDA_METRICS_PORT")
    subscriber_app = health_server({}, "127.0.0.1", SUBSCRIBER_PORT).config.app
    assert isinstance(subscriber_app, FastAPI)
    for subscriber in SUBSCRIBERS.values():
        served[subscriber.name.replace(".", "-")] = (SUBSCRIBER_PORT, _paths(subscriber_app), None)
    for component, (port, paths, metrics_port) in served.items():
        pod = deployments[name(component)]["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        expected_ports = [port] if metrics_port is None else [port, metrics_port]
        assert [p["containerPort"] for p in container["ports"]] == expected_ports, component
        assert container["livenessProbe"]["httpGet"]["path"] in paths, component
        assert container["readinessProbe"]["httpGet"]["path"] in paths, component
        annotations = pod["metadata"]["annotations"]
        if metrics_port is None:
            assert annotations["prometheus.io/port"] == str(port), component
            assert annotations["prometheus.io/path"] in paths, component
        else:
            assert "/metrics" not in paths, component  # not on the API's port
            assert annotations["prometheus.io/port"] == str(metrics_port), component
        if name(component) in services:
            (service_port,) = services[name(component)]["spec"]["ports"]
            assert service_port["port"] == port, component
    operator = of_kind(manifests["values-local.yaml"], "Deployment")[name("operator")]
    (container,) = operator["spec"]["template"]["spec"]["containers"]
    assert container["ports"][0]["containerPort"] == OperatorSettings().health_port
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def _env(deployment: Manifest) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
