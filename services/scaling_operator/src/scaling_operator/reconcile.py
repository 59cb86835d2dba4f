"""One reading of one SubscriberScaler: topology, backlog, decision, scaling, status.

Apart from kopf's logger type it knows nothing of kopf: the reading loop passes the
resource's spec and status in and applies the returned status patch and events.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
from aio_pika.exceptions import AMQPError
from aiokafka.errors import KafkaError

from scaling_operator.backlog import read_backlog
from scaling_operator.backlog.failures import describe
from scaling_operator.decisions import (
    BacklogReading,
    BacklogUnavailable,
    Decision,
    QueueCounts,
    ScalingHistory,
    TimedCount,
    decide,
    queue_backlog,
)
from scaling_operator.kube import (
    SUBSCRIBER_LABEL,
    Deployment,
    DeploymentScaler,
    ForbiddenError,
    NotFoundError,
)
from scaling_operator.metrics import record_decision, record_reading
from scaling_operator.settings import OperatorConfig
from scaling_operator.spec import InvalidSpecError, ScalerSpec, Source, parse_spec
from scaling_operator.status import (
    BROKER_REACHABLE,
    READY,
    Condition,
    merge_conditions,
    previous_condition,
    utc_now,
)
from scaling_operator.topology import UnknownEventTypeError, ensure_topology
from shared.links import LinkMisconfigured

NORMAL = "Normal"
WARNING = "Warning"
# Expected for a reading or two after a queue is declared: in the status, not an event.
_PASSING = frozenset({"StatisticsPending"})


@dataclass
class ScalerState:
    """What the operator remembers of one resource between readings (in memory)."""

    history: ScalingHistory | None = None
    topology_for: Source | None = None
    topology_failure: str | None = None
    seen_ready: tuple[TimedCount, ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class _NotScaled:
    """Why the Deployment a scaler names is not scaled: the Ready condition's reason."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status: dict[str, Any]
    events: list[Event] = field(default_factory=list)


class Reconciler:
    def __init__(self, config: OperatorConfig, deployments: DeploymentScaler) -> None:
        self._config = config
        self._deployments = deployments

    async def reconcile(
        self,
        namespace: str,
        spec: Mapping[str, Any],
        status: Mapping[str, Any],
        state: ScalerState,
        logger: kopf.Logger,
    ) -> Outcome:
        previous = list(status.get("conditions") or [])
        try:
            scaler = parse_spec(spec)
        except InvalidSpecError as exc:
            return _not_ready(previous, "InvalidSpec", str(exc), broker=None)

        events, topology_failure = await self._topology(scaler.source, state, logger)
        reading = self._combined(await read_backlog(self._config, scaler.source), state)
        record_reading(namespace, scaler.deployment, _backlog(reading))
        broker = _broker_condition(reading)
        # A broker that answers but refuses the declaration (e.g. a queue declared with
        # other arguments) is worth one warning; an unreachable one has its own.
        if topology_failure and broker.status and topology_failure != state.topology_failure:
            events.append(Event(WARNING, "TopologyNotEnsured", topology_failure))
        state.topology_failure = topology_failure
        if (
            isinstance(reading, BacklogUnavailable)
            and reading.reason not in _PASSING
            and _newly(previous, READY, reading.reason)
        ):
            events.append(Event(WARNING, reading.reason, reading.message))

        deployment = await self._subscriber_deployment(namespace, scaler.deployment)
        if isinstance(deployment, _NotScaled):
            outcome = _not_ready(previous, deployment.reason, deployment.message, broker=broker)
            outcome.status["backlog"] = _backlog(reading)
            return Outcome(outcome.status, events + outcome.events)
        current = deployment.replicas

        now = time.monotonic()
        if state.history is None:
            state.history = ScalingHistory.starting(now, current)
        decision = decide(scaler.policy, state.history, now, current, reading)
        state.history = decision.history
        record_decision(namespace, scaler.deployment, decision.desired)

        timestamp = utc_now()
        patch: dict[str, Any] = {
            "backlog": _backlog(reading),
            "desiredReplicas": decision.desired,
            "currentReplicas": current,
        }
        if decision.scales:
            await self._deployments.scale(namespace, scaler.deployment, decision.desired)
            events.append(_scaling_event(scaler, decision))
            patch["lastScaleTime"] = timestamp
            patch["lastScaleReason"] = decision.why
            logger.info(
                "scaled %s from %d to %d: %s",
                scaler.deployment,
                decision.current,
                decision.desired,
                decision.why,
            )
        ready = (
            Condition(READY, False, reading.reason, reading.message)
            if isinstance(reading, BacklogUnavailable)
            else Condition(READY, True, "BacklogRead", decision.why)
        )
        patch["conditions"] = merge_conditions(previous, [ready, broker], timestamp)
        return Outcome(patch, events)

    async def _subscriber_deployment(self, namespace: str, name: str) -> Deployment | _NotScaled:
        try:
            deployment = await self._deployments.read(namespace, name)
        except NotFoundError:
            return _NotScaled(
                "DeploymentNotFound", f"Deployment {name!r} not found in namespace {namespace!r}"
            )
        except ForbiddenError:
            # The chart's Role names the subscriber Deployments it may read and scale.
            return _NotScaled(
                "NotASubscriber",
                f"Deployment {name!r}: the operator's Role does not let it read"
                " it (only the chart's autoscaled subscriber Deployments); not scaled",
            )
        if not deployment.is_subscriber:
            # Only the chart's subscriber Deployments are scaled, whatever spec.deployment names.
            key, value = SUBSCRIBER_LABEL
            return _NotScaled(
                "NotASubscriber",
                f"Deployment {name!r} does not carry the label {key}={value}:"
                " not a subscriber, not scaled",
            )
        return deployment

    def _combined(
        self, reading: BacklogReading | QueueCounts | BacklogUnavailable, state: ScalerState
    ) -> BacklogReading | BacklogUnavailable:
        if not isinstance(reading, QueueCounts):
            return reading
        backlog, state.seen_ready = queue_backlog(
            reading,
            state.seen_ready,
            time.monotonic(),
            self._config.operator.rabbitmq_statistics_age_s,
        )
        return BacklogReading(backlog)

    async def _topology(
        self, source: Source, state: ScalerState, logger: kopf.Logger
    ) -> tuple[list[Event], str | None]:
        """Events to post, and why the declaration failed (None: it did not)."""
        if state.topology_for == source:
            return [], None
        try:
            ensured = await ensure_topology(
                self._config.eda.kafka,
                self._config.eda.rabbitmq,
                source,
                self._config.operator.broker_timeout_s,
            )
        except UnknownEventTypeError as exc:
            state.topology_for = source  # a name does not change by retrying
            return [Event(WARNING, "TopologyIncomplete", str(exc))], None
        except LinkMisconfigured as exc:
            # The reading says so in the status, with the setting to fix; tried again.
            logger.warning("topology not ensured: %s", exc)
            return [], None
        except (KafkaError, AMQPError, OSError, TimeoutError) as exc:
            # Tried again at the next reading.
            logger.warning("topology not ensured yet: %s", describe(exc))
            return [], describe(exc)
        state.topology_for = source
        logger.info("ensured %s", ensured)
        return [Event(NORMAL, "TopologyEnsured", ensured)], None


def _scaling_event(scaler: ScalerSpec, decision: Decision) -> Event:
    reason = "ScaledUp" if decision.desired > decision.current else "ScaledDown"
    return Event(
        NORMAL,
        reason,
        f"Deployment {scaler.deployment} from {decision.current} to {decision.desired}"
        f" replicas: {decision.why}",
    )


def _broker_condition(reading: BacklogReading | BacklogUnavailable) -> Condition:
    if isinstance(reading, BacklogReading):
        return Condition(BROKER_REACHABLE, True, "BacklogRead", f"backlog {reading.backlog}")
    if reading.broker_reachable:
        return Condition(BROKER_REACHABLE, True, reading.reason, reading.message)
    return Condition(BROKER_REACHABLE, False, reading.reason, reading.message)


def _backlog(reading: BacklogReading | BacklogUnavailable) -> int | None:
    # None removes the field: a backlog that could not be read is not shown as a number.
    return reading.backlog if isinstance(reading, BacklogReading) else None


def _not_ready(
    previous: list[Any], reason: str, message: str, *, broker: Condition | None
) -> Outcome:
    conditions = [
        Condition(READY, False, reason, message),
        broker or Condition(BROKER_REACHABLE, None, "NotRead", "the backlog was not read"),
    ]
    events = [Event(WARNING, reason, message)] if _newly(previous, READY, reason) else []
    return Outcome({"conditions": merge_conditions(previous, conditions, utc_now())}, events)


def _newly(previous: list[Any], condition_type: str, reason: str) -> bool:
    """True when the condition did not already carry this reason (one event per change)."""
    earlier = previous_condition(previous, condition_type)
    return earlier is None or earlier.get("reason") != reason
