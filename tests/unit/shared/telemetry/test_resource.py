"""The resource of every process's spans: version, Kubernetes fields, and the
operator's ``OTEL_RESOURCE_ATTRIBUTES`` over them."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from shared.telemetry.resource import own_attributes, process_resource, service_version
from shared.telemetry.setup import record_build_info

POD = {
    "K8S_NAMESPACE_NAME": "shop",
    "K8S_POD_NAME": "order-service-7d9c-abcde",
    "K8S_POD_UID": "0b7e6f1a-2d3c-4e5f-8a9b-0c1d2e3f4a5b",
    "K8S_NODE_NAME": "node-1",
}


def test_the_version_is_dev_unless_set() -> None:
    assert service_version({}) == "dev"
    assert service_version({"EDA_SERVICE_VERSION": "1.4.2"}) == "1.4.2"


def test_kubernetes_attributes_come_only_from_the_variables_set() -> None:
    assert own_attributes({}) == {"service.version": "dev"}
    assert own_attributes({**POD, "EDA_SERVICE_VERSION": "1.4.2"}) == {
        "service.version": "1.4.2",
        "k8s.namespace.name": "shop",
        "k8s.pod.name": "order-service-7d9c-abcde",
        "k8s.pod.uid": "0b7e6f1a-2d3c-4e5f-8a9b-0c1d2e3f4a5b",
        "k8s.node.name": "node-1",
    }


def test_otel_resource_attributes_win_and_are_percent_decoded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv(
        "OTEL_RESOURCE_ATTRIBUTES", "k8s.node.name=override,team=a%2Cb,service.version=9"
    )
    attributes = process_resource("order-service", {**POD, "EDA_SERVICE_VERSION": "1.4.2"})
    assert attributes.attributes["k8s.node.name"] == "override"
    assert attributes.attributes["team"] == "a,b"
    assert attributes.attributes["service.version"] == "9"
    assert attributes.attributes["k8s.pod.name"] == "order-service-7d9c-abcde"
    assert attributes.attributes["service.name"] == "order-service"


def test_otel_service_name_wins_over_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "orders-canary")
    assert process_resource("order-service", {}).attributes["service.name"] == "orders-canary"


def build_info(service: str, version: str) -> float | None:
    return REGISTRY.get_sample_value("eda_build_info", {"service": service, "version": version})


def test_build_info_names_the_service_and_its_version() -> None:
    record_build_info("unit-build-info", {"EDA_SERVICE_VERSION": "2.0.1"})
    record_build_info("unit-build-info-dev", {})
    assert build_info("unit-build-info", "2.0.1") == 1
    assert build_info("unit-build-info-dev", "dev") == 1
