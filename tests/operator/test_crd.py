"""The CRD: a structural schema that accepts what the chart renders and refuses the
rest, with the defaults the operator assumes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from scaling_operator.spec import (
    DEFAULT_ACTIVATION_BACKLOG,
    DEFAULT_MIN_REPLICAS,
    DEFAULT_SCALE_DOWN_STABILIZATION_S,
    DEFAULT_SCALE_UP_STABILIZATION_S,
    GROUP,
    MAX_REPLICAS,
    PLURAL,
    VERSION,
    InvalidSpecError,
    KafkaSource,
    RabbitMQSource,
    parse_spec,
)
from tests.operator.crd import (
    assert_valid,
    kafka_source,
    load_crd,
    rabbitmq_source,
    scaler,
    schema,
    served_version,
    structural_problems,
    validation_errors,
    with_defaults,
)

KAFKA = scaler(
    "order-placed", "orders-order-placed", kafka_source("order.placed", "orders.order-placed")
)
RABBITMQ = scaler("order-placed", "orders-order-placed", rabbitmq_source("orders.order-placed"))


def test_names_scope_and_version_are_the_contract() -> None:
    crd = load_crd()
    assert crd["metadata"]["name"] == f"{PLURAL}.{GROUP}"
    assert crd["spec"]["group"] == GROUP
    assert crd["spec"]["scope"] == "Namespaced"
    assert crd["spec"]["names"] == {
        "kind": "SubscriberScaler",
        "listKind": "SubscriberScalerList",
        "plural": "subscriberscalers",
        "singular": "subscriberscaler",
        "shortNames": ["ssc"],
    }
    version = served_version()
    assert (version["name"], version["served"], version["storage"]) == (VERSION, True, True)
    assert version["subresources"] == {"status": {}}


def test_printer_columns_point_at_fields_the_schema_has() -> None:
    columns = {column["name"]: column for column in served_version()["additionalPrinterColumns"]}
    assert {"Deployment", "Backlog", "Desired", "Current", "Ready", "Age"} <= set(columns)
    properties = schema()["properties"]
    for column in columns.values():
        path = column["jsonPath"].split("[")[0].strip(".").split(".")
        if path[0] == "metadata":
            continue
        node: dict[str, Any] = properties[path[0]]
        for part in path[1:]:
            node = node["properties"][part]
        assert node["type"] in {"integer", "string", "array"}, column


def test_the_schema_is_structural() -> None:
    assert list(structural_problems(schema())) == []


@pytest.mark.parametrize("resource", [KAFKA, RABBITMQ], ids=["kafka", "rabbitmq"])
def test_the_chart_shaped_resources_are_valid(resource: dict[str, Any]) -> None:
    assert_valid(resource)
    full = copy.deepcopy(resource)
    full["spec"].update(
        minReplicas=0,
        activationBacklog=10,
        scaleUpStabilizationSeconds=15,
        scaleDownStabilizationSeconds=300,
    )
    full["status"] = {
        "backlog": 12,
        "desiredReplicas": 1,
        "currentReplicas": 0,
        "lastScaleTime": "2026-01-02T03:04:05Z",
        "lastScaleReason": "backlog 12 at 500 per replica wants 1",
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "BacklogRead",
                "message": "",
                "lastTransitionTime": "2026-01-02T03:04:05Z",
            },
            {"type": "BrokerReachable", "status": "False", "reason": "BrokerUnreachable"},
        ],
    }
    assert_valid(full)


def without(resource: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(resource)
    node = changed
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return changed


def changed(resource: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    result = copy.deepcopy(resource)
    node = result
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return result


@pytest.mark.parametrize(
    ("resource", "complaint"),
    [
        (without(KAFKA, "spec", "maxReplicas"), "'maxReplicas' is a required property"),
        (without(KAFKA, "spec", "deployment"), "'deployment' is a required property"),
        (without(KAFKA, "spec", "targetBacklogPerReplica"), "'targetBacklogPerReplica' is a"),
        (without(KAFKA, "spec", "source"), "'source' is a required property"),
        (changed(KAFKA, "redis", "spec", "source", "broker"), "'redis' is not one of"),
        (without(KAFKA, "spec", "source", "kafka"), "is not valid under any of the given"),
        (without(RABBITMQ, "spec", "source", "rabbitmq"), "is not valid under any of the given"),
        (changed(RABBITMQ, "kafka", "spec", "source", "broker"), "is not valid under any of"),
        (without(KAFKA, "spec", "source", "kafka", "consumerGroup"), "'consumerGroup' is a"),
        (changed(KAFKA, -1, "spec", "minReplicas"), "-1 is less than the minimum of 0"),
        (changed(KAFKA, 0, "spec", "maxReplicas"), "0 is less than the minimum of 1"),
        (changed(KAFKA, 51, "spec", "maxReplicas"), "51 is greater than the maximum of 50"),
        (changed(KAFKA, 51, "spec", "minReplicas"), "51 is greater than the maximum of 50"),
        (changed(KAFKA, 0, "spec", "targetBacklogPerReplica"), "0 is less than the minimum"),
        (changed(KAFKA, "6", "spec", "maxReplicas"), "'6' is not of type 'integer'"),
        (changed(KAFKA, 0, "spec", "source", "kafka", "partitions"), "less than the minimum"),
        (changed(RABBITMQ, "Orders", "spec", "source", "rabbitmq", "queue"), "does not match"),
        (changed(KAFKA, "Sub_Deploy", "spec", "deployment"), "does not match"),
    ],
)
def test_bad_resources_are_refused(resource: dict[str, Any], complaint: str) -> None:
    errors = validation_errors(resource)
    assert any(complaint in error for error in errors), errors


def test_the_operator_reads_what_the_api_server_stores() -> None:
    spec = with_defaults(KAFKA)["spec"]
    assert spec["minReplicas"] == DEFAULT_MIN_REPLICAS
    assert spec["activationBacklog"] == DEFAULT_ACTIVATION_BACKLOG
    assert spec["scaleUpStabilizationSeconds"] == DEFAULT_SCALE_UP_STABILIZATION_S
    assert spec["scaleDownStabilizationSeconds"] == DEFAULT_SCALE_DOWN_STABILIZATION_S
    # Defaults filled in by the API server or by the operator mean the same.
    assert parse_spec(spec) == parse_spec(KAFKA["spec"])
    parsed = parse_spec(spec)
    assert parsed.source == KafkaSource("order.placed", "orders.order-placed", 6)
    assert parse_spec(RABBITMQ["spec"]).source == RabbitMQSource("orders.order-placed")


@pytest.mark.parametrize(
    ("resource", "complaint"),
    [
        (without(KAFKA, "spec", "maxReplicas"), "maxReplicas is required"),
        (changed(KAFKA, "redis", "spec", "source", "broker"), "kafka or rabbitmq"),
        (without(KAFKA, "spec", "source", "kafka"), "source.kafka is required"),
        (changed(KAFKA, 7, "spec", "minReplicas"), "minReplicas 7 is above maxReplicas 6"),
        (changed(KAFKA, True, "spec", "maxReplicas"), "must be an integer"),
        (changed(KAFKA, 51, "spec", "maxReplicas"), "maxReplicas must be at most 50, not 51"),
        (changed(KAFKA, 51, "spec", "minReplicas"), "minReplicas must be at most 50, not 51"),
    ],
)
def test_the_operator_refuses_what_the_schema_refuses(
    resource: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(InvalidSpecError, match=complaint):
        parse_spec(resource["spec"])


def test_the_operator_and_the_schema_bound_the_replicas_alike() -> None:
    spec = schema()["properties"]["spec"]["properties"]
    assert spec["maxReplicas"]["maximum"] == MAX_REPLICAS
    assert spec["minReplicas"]["maximum"] == MAX_REPLICAS
    at_most = changed(
        changed(KAFKA, MAX_REPLICAS, "spec", "maxReplicas"), MAX_REPLICAS, "spec", "minReplicas"
    )
    assert_valid(at_most)
    assert parse_spec(at_most["spec"]).policy.max_replicas == MAX_REPLICAS
