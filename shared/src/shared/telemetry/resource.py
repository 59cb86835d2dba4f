"""The resource every process's spans carry: its version, and where it runs in
Kubernetes (the chart passes the pod's fields from the Downward API)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.resources import SERVICE_NAME, Resource

SERVICE_VERSION_VARIABLE = "EDA_SERVICE_VERSION"
DEFAULT_VERSION = "dev"
KUBERNETES_VARIABLES = {
    "k8s.namespace.name": "K8S_NAMESPACE_NAME",
    "k8s.pod.name": "K8S_POD_NAME",
    "k8s.pod.uid": "K8S_POD_UID",
    "k8s.node.name": "K8S_NODE_NAME",
}


def service_version(environ: Mapping[str, str]) -> str:
    return environ.get(SERVICE_VERSION_VARIABLE, "").strip() or DEFAULT_VERSION


def own_attributes(environ: Mapping[str, str]) -> dict[str, str]:
    """``service.version`` and the ``k8s.*`` attributes whose variables are set."""
    attributes = {"service.version": service_version(environ)}
    for attribute, variable in KUBERNETES_VARIABLES.items():
        value = environ.get(variable, "").strip()
        if value:
            attributes[attribute] = value
    return attributes


def process_resource(default_service_name: str, environ: Mapping[str, str]) -> Resource:
    """Ours, then the SDK's (``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_SERVICE_NAME``, read
    from the process environment) merged over them: the operator's variables win."""
    resource = Resource(own_attributes(environ)).merge(Resource.create())
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: default_service_name}))
    return resource
