"""The SubscriberScaler spec as typed values, with the CRD's defaults.

The API server applies the CRD's defaults and validation before the operator sees a
resource; they are applied here again so that a resource stored without them (an
older CRD, a test double of the API) means the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scaling_operator.decisions import ScalingPolicy

GROUP = "eda.dev"
VERSION = "v1"
PLURAL = "subscriberscalers"

DEFAULT_MIN_REPLICAS = 1
# The CRD's bound on minReplicas and maxReplicas (crds/subscriberscalers.yaml says why).
MAX_REPLICAS = 50
DEFAULT_ACTIVATION_BACKLOG = 0
DEFAULT_SCALE_UP_STABILIZATION_S = 0
DEFAULT_SCALE_DOWN_STABILIZATION_S = 120


class InvalidSpecError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class KafkaSource:
    topic: str
    consumer_group: str
    partitions: int | None


@dataclass(frozen=True, slots=True)
class RabbitMQSource:
    queue: str


Source = KafkaSource | RabbitMQSource


@dataclass(frozen=True, slots=True)
class ScalerSpec:
    deployment: str
    policy: ScalingPolicy
    source: Source


def parse_spec(spec: Mapping[str, Any]) -> ScalerSpec:
    deployment = _text(spec, "deployment")
    min_replicas = _integer(
        spec, "minReplicas", DEFAULT_MIN_REPLICAS, minimum=0, maximum=MAX_REPLICAS
    )
    max_replicas = _integer(spec, "maxReplicas", None, minimum=1, maximum=MAX_REPLICAS)
    if min_replicas > max_replicas:
        raise InvalidSpecError(f"minReplicas {min_replicas} is above maxReplicas {max_replicas}")
    policy = ScalingPolicy(
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        target_backlog_per_replica=_integer(spec, "targetBacklogPerReplica", None, minimum=1),
        activation_backlog=_integer(
            spec, "activationBacklog", DEFAULT_ACTIVATION_BACKLOG, minimum=0
        ),
        scale_up_stabilization_s=_integer(
            spec, "scaleUpStabilizationSeconds", DEFAULT_SCALE_UP_STABILIZATION_S, minimum=0
        ),
        scale_down_stabilization_s=_integer(
            spec, "scaleDownStabilizationSeconds", DEFAULT_SCALE_DOWN_STABILIZATION_S, minimum=0
        ),
    )
    return ScalerSpec(deployment, policy, _source(spec.get("source")))


def _source(source: object) -> Source:
    if not isinstance(source, Mapping):
        raise InvalidSpecError("source is required")
    broker = source.get("broker")
    if broker == "kafka":
        kafka = source.get("kafka")
        if not isinstance(kafka, Mapping):
            raise InvalidSpecError("source.kafka is required when broker is kafka")
        partitions = kafka.get("partitions")
        return KafkaSource(
            topic=_text(kafka, "topic", "source.kafka."),
            consumer_group=_text(kafka, "consumerGroup", "source.kafka."),
            partitions=None
            if partitions is None
            else _integer(kafka, "partitions", None, minimum=1, path="source.kafka."),
        )
    if broker == "rabbitmq":
        rabbitmq = source.get("rabbitmq")
        if not isinstance(rabbitmq, Mapping):
            raise InvalidSpecError("source.rabbitmq is required when broker is rabbitmq")
        return RabbitMQSource(queue=_text(rabbitmq, "queue", "source.rabbitmq."))
    raise InvalidSpecError(f"source.broker must be kafka or rabbitmq, not {broker!r}")


def _text(values: Mapping[str, Any], key: str, path: str = "") -> str:
    value = values.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidSpecError(f"{path}{key} is required (a non-empty string)")
    return value


def _integer(
    values: Mapping[str, Any],
    key: str,
    default: int | None,
    *,
    minimum: int,
    maximum: int | None = None,
    path: str = "",
) -> int:
    value = values.get(key, default)
    if value is None:
        raise InvalidSpecError(f"{path}{key} is required")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSpecError(f"{path}{key} must be an integer, not {value!r}")
    if value < minimum:
        raise InvalidSpecError(f"{path}{key} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise InvalidSpecError(f"{path}{key} must be at most {maximum}, not {value}")
    return value
