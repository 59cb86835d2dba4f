"""Each application process knows which pod it is and which image version it runs (the
Downward API and EDA_SERVICE_VERSION), its objects carry that version as a label, the
OTLP exporter's headers come from a Secret, and OTEL_RESOURCE_ATTRIBUTES is encoded
as the OpenTelemetry specification asks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from opentelemetry.sdk.resources import OTELResourceDetector

from tests.deploy.chart import CHART, VALUES_FILES, Manifest, documents, helm, name, of_kind, render

DOWNWARD = {
    "K8S_NAMESPACE_NAME": "metadata.namespace",
    "K8S_POD_NAME": "metadata.name",
    "K8S_POD_UID": "metadata.uid",
    "K8S_NODE_NAME": "spec.nodeName",
}
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
DIGEST = "sha256:" + "0123456789abcdef" * 4
VERSION = "app.kubernetes.io/version"


def app_containers(
    manifests: list[Manifest],
) -> Iterator[tuple[Manifest, Manifest, dict[str, Any]]]:
    """(workload, pod template, container) of every application container, init
    containers and migration Jobs included."""
    for manifest in manifests:
        if manifest["kind"] not in {"Deployment", "StatefulSet", "Job"}:
            continue
        template = manifest["spec"]["template"]
        if template["metadata"]["labels"]["eda.dev/tier"] != "app":
            continue
        spec = template["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            yield manifest, template, container


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env") or []}


def image_version(image: str) -> str:
    """What the chart composed the reference from: the digest, else the tag."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    return image.rsplit("/", 1)[-1].rsplit(":", 1)[1]


def values_file_with(tmp_path: Path, values: dict[str, Any]) -> str:
    path = tmp_path / "extra.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_application_container_names_its_pod_from_the_downward_api(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    seen = set()
    for workload, _, container in app_containers(manifests[values_file]):
        env = env_of(container)
        where = f"{workload['metadata']['name']}/{container['name']}"
        for variable, path in DOWNWARD.items():
            assert env[variable]["valueFrom"] == {"fieldRef": {"fieldPath": path}}, where
        assert env["EDA_SERVICE_VERSION"]["value"] == image_version(container["image"]), where
        seen.add((workload["kind"], container["name"]))
    # The APIs, subscribers and migrations (init containers or Jobs) are all covered,
    # and the operator where it is on.
    names = {c for _, c in seen}
    assert {"user-service", "order-service", "subscriber", "migrate"} <= names
    if values_file != "values.yaml":
        assert "operator" in names


def test_the_service_version_follows_the_deployed_tag_or_digest(tmp_path: Path) -> None:
    extra = values_file_with(
        tmp_path,
        {
            "defaults": {"image": {"tag": "1.2.3+build.7"}},
            "components": {"order-service": {"image": {"digest": DIGEST}}},
            "operator": {"enabled": True},
        },
    )
    for values_file in VALUES_FILES:
        rendered = documents(render(values_file, "--values", extra))
        versions = {}
        for workload, template, container in app_containers(rendered):
            version = env_of(container)["EDA_SERVICE_VERSION"]["value"]
            if container["name"] != "migrate":
                versions[workload["metadata"]["name"]] = version
                label = template["metadata"]["labels"][VERSION]
                assert workload["metadata"]["labels"][VERSION] == label
                assert len(label) <= 63, label
                assert LABEL_VALUE.fullmatch(label), label
                assert label == re.sub(r"[^A-Za-z0-9._-]", "-", version)[:63]
        assert versions[name("order-service")] == DIGEST
        assert versions[name("user-service")] == "1.2.3+build.7"
        assert versions[name("operator")] == "1.2.3+build.7"
        assert versions[name("orders-order-placed")] == "1.2.3+build.7"
        deployments = of_kind(rendered, "Deployment")
        assert deployments[name("user-service")]["metadata"]["labels"][VERSION] == "1.2.3-build.7"
        digest_label = deployments[name("order-service")]["metadata"]["labels"][VERSION]
        assert digest_label == ("sha256-" + DIGEST.removeprefix("sha256:"))[:63]


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_objects_of_a_component_carry_its_image_version_not_the_charts(
    manifests: dict[str, list[Manifest]], values_file: str
) -> None:
    rendered = manifests[values_file]
    versions = {
        workload["metadata"]["labels"]["app.kubernetes.io/component"]: image_version(
            template["spec"]["containers"][0]["image"]
        )
        for workload in rendered
        if workload["kind"] in {"Deployment", "StatefulSet"}
        for template in [workload["spec"]["template"]]
    }
    assert versions, "no workloads"
    for manifest in rendered:
        labels = manifest["metadata"].get("labels") or {}
        component = labels.get("app.kubernetes.io/component")
        if component in versions:
            assert labels[VERSION] == versions[component], (manifest["kind"], component)
    if values_file != "values-staging.yaml":
        kafka = of_kind(rendered, "StatefulSet")[name("kafka")]
        assert kafka["metadata"]["labels"][VERSION] == "4.3.1"


def test_otlp_headers_come_from_the_named_secret_and_only_from_it(tmp_path: Path) -> None:
    for values_file in VALUES_FILES:
        for _, _, container in app_containers(documents(render(values_file))):
            assert "OTEL_EXPORTER_OTLP_HEADERS" not in env_of(container)
    extra = values_file_with(
        tmp_path, {"telemetry": {"otlpHeaders": {"existingSecret": "otlp-auth", "key": "api"}}}
    )
    for values_file in VALUES_FILES:
        exporting = 0
        for _, _, container in app_containers(documents(render(values_file, "--values", extra))):
            headers = env_of(container).get("OTEL_EXPORTER_OTLP_HEADERS")
            if container["name"] == "migrate":
                # Migrations send no traces (OTEL_SDK_DISABLED).
                assert headers is None
                continue
            assert headers == {
                "name": "OTEL_EXPORTER_OTLP_HEADERS",
                "valueFrom": {"secretKeyRef": {"name": "otlp-auth", "key": "api"}},
            }, container["name"]
            exporting += 1
        assert exporting >= 8, values_file


def resource_attributes(rendered: list[Manifest]) -> str:
    value: str = of_kind(rendered, "ConfigMap")[name("config")]["data"]["OTEL_RESOURCE_ATTRIBUTES"]
    return value


def test_resource_attribute_values_are_percent_encoded(tmp_path: Path) -> None:
    extra = values_file_with(tmp_path, {"telemetry": {"resourceAttributes": {"team": "a,b"}}})
    pairs = resource_attributes(documents(render("values.yaml", "--values", extra))).split(",")
    assert "team=a%2Cb" in pairs
    assert "deployment.environment.name=default" in pairs


def test_the_sdk_reads_back_exactly_the_attributes_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    awkward = {"team": "a,b=c%2C d", "owner": "Zoë\tx", "tier": "plain-1.2_3/x"}
    extra = values_file_with(
        tmp_path, {"environment": "qa,eu", "telemetry": {"resourceAttributes": awkward}}
    )
    encoded = resource_attributes(documents(render("values.yaml", "--values", extra)))
    assert re.fullmatch(r"[\x21-\x7e]+", encoded), encoded
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", encoded)
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    read = dict(OTELResourceDetector().detect().attributes)
    assert read == {
        **awkward,
        "deployment.environment.name": "qa,eu",
        "service.namespace": "eda",
    }


def test_a_resource_attribute_key_that_cannot_be_written_is_refused(tmp_path: Path) -> None:
    extra = values_file_with(tmp_path, {"telemetry": {"resourceAttributes": {"a,b": "x"}}})
    result = helm("template", "eda", str(CHART), "--values", extra)
    assert result.returncode != 0
    assert "invalid propertyName 'a,b'" in result.stderr
