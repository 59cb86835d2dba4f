"""The SubscriberScaler CRD as the tests use it: its schema as a validator, its names
as the API emulator's resource declaration."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CRD_PATH = Path(__file__).parents[2] / "deploy" / "helm" / "eda" / "crds" / "subscriberscalers.yaml"

# Keywords that a structural schema forbids inside oneOf/anyOf/allOf/not.
_FORBIDDEN_IN_JUNCTORS = {"type", "default", "description", "additionalProperties", "nullable"}
_JUNCTORS = ("oneOf", "anyOf", "allOf", "not")


@functools.cache
def load_crd() -> dict[str, Any]:
    crd: dict[str, Any] = yaml.safe_load(CRD_PATH.read_text())
    return crd


def served_version() -> dict[str, Any]:
    versions: list[dict[str, Any]] = load_crd()["spec"]["versions"]
    (version,) = versions
    return version


def schema() -> dict[str, Any]:
    return dict(served_version()["schema"]["openAPIV3Schema"])


def validation_errors(resource: Mapping[str, Any]) -> list[str]:
    """What the API server's schema validation would refuse (CEL rules aside)."""
    validator = jsonschema.Draft7Validator(schema())
    return sorted(
        f"{'.'.join(str(part) for part in error.absolute_path) or '<root>'}: {error.message}"
        for error in validator.iter_errors(dict(resource))
    )


def assert_valid(resource: Mapping[str, Any]) -> None:
    errors = validation_errors(resource)
    assert not errors, errors


def with_defaults(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The resource with the schema's defaults filled in, as the API server stores it."""
    filled = copy.deepcopy(dict(resource))
    _apply_defaults(schema(), filled)
    return filled


def _apply_defaults(node: Mapping[str, Any], value: Any) -> None:
    if not isinstance(value, dict):
        return
    for name, child in node.get("properties", {}).items():
        if name not in value and "default" in child:
            value[name] = copy.deepcopy(child["default"])
        if name in value:
            _apply_defaults(child, value[name])


def structural_problems(node: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """Breaches of Kubernetes' structural-schema rules: every field typed, nothing
    typed or defaulted inside a logical junctor."""
    for name, child in node.get("properties", {}).items():
        if "type" not in child and not child.get("x-kubernetes-preserve-unknown-fields"):
            yield f"{path}.{name}: no type"
        yield from structural_problems(child, f"{path}.{name}")
    if "items" in node:
        if "type" not in node["items"]:
            yield f"{path}[]: no type"
        yield from structural_problems(node["items"], f"{path}[]")
    for junctor in _JUNCTORS:
        branches = node.get(junctor, [])
        for branch in branches if isinstance(branches, list) else [branches]:
            yield from _junctor_problems(branch, f"{path}.{junctor}")


def _junctor_problems(node: Mapping[str, Any], path: str) -> Iterator[str]:
    for keyword in sorted(_FORBIDDEN_IN_JUNCTORS & set(node)):
        yield f"{path}: {keyword} inside a junctor"
    for name, child in node.get("properties", {}).items():
        yield from _junctor_problems(child, f"{path}.{name}")


def scaler(
    name: str,
    deployment: str,
    source: Mapping[str, Any],
    *,
    namespace: str = "eda",
    **policy: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "deployment": deployment,
        "maxReplicas": 6,
        "targetBacklogPerReplica": 500,
        "source": dict(source),
    }
    spec.update(policy)
    return {
        "apiVersion": "eda.dev/v1",
        "kind": "SubscriberScaler",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def kafka_source(topic: str, group: str, partitions: int = 6) -> dict[str, Any]:
    return {
        "broker": "kafka",
        "kafka": {"topic": topic, "consumerGroup": group, "partitions": partitions},
    }


def rabbitmq_source(queue: str) -> dict[str, Any]:
    return {"broker": "rabbitmq", "rabbitmq": {"queue": queue}}
