"""How many replicas a subscriber should have: pure functions, no I/O, no clock.

The caller passes the time (``now``, seconds on a monotonic clock) and keeps the
``ScalingHistory`` between readings; everything here is computed from its arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ScalingPolicy:
    min_replicas: int
    max_replicas: int
    target_backlog_per_replica: int
    activation_backlog: int = 0
    scale_up_stabilization_s: float = 0.0
    scale_down_stabilization_s: float = 120.0


@dataclass(frozen=True, slots=True)
class PartitionOffsets:
    """One partition as the broker reports it; ``committed`` is None without a commit."""

    earliest: int
    end: int
    committed: int | None


@dataclass(frozen=True, slots=True)
class BacklogReading:
    backlog: int
    partitions: int | None = None
    """Kafka: the topic's partition count, which caps the replicas. None on RabbitMQ."""


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """A RabbitMQ queue as read: ``counted`` (ready + unacknowledged) comes from
    statistics that may be seconds old, ``ready`` from the queue itself, now."""

    counted: int
    ready: int


@dataclass(frozen=True, slots=True)
class TimedCount:
    at: float
    count: int


@dataclass(frozen=True, slots=True)
class BacklogUnavailable:
    """The backlog could not be read this time; replicas stay where they are."""

    reason: str
    message: str
    broker_reachable: bool


@dataclass(frozen=True, slots=True)
class TimedRecommendation:
    at: float
    replicas: int


@dataclass(frozen=True, slots=True)
class ScalingHistory:
    recommendations: tuple[TimedRecommendation, ...] = ()
    floor: TimedRecommendation | None = None
    """The replicas found when the operator first saw the resource: after a restart the
    recommendations of the window are lost, so no scale-down below them until a whole
    scale-down window has passed. Never holds back a scale-up."""

    @classmethod
    def starting(cls, now: float, current_replicas: int) -> ScalingHistory:
        return cls(floor=TimedRecommendation(now, current_replicas))


@dataclass(frozen=True, slots=True)
class Recommendation:
    replicas: int
    why: str


@dataclass(frozen=True, slots=True)
class Decision:
    desired: int
    current: int
    why: str
    history: ScalingHistory = field(default_factory=ScalingHistory)

    @property
    def scales(self) -> bool:
        return self.desired != self.current


def partition_lag(offsets: PartitionOffsets) -> int:
    """Messages the group has still to read in one partition.

    Without a commit, or with a committed offset outside what the partition still
    holds (below the earliest retained offset after retention deleted it, above the end
    after the topic was recreated), the consumers start from the earliest retained
    offset (``auto_offset_reset="earliest"``), so that is where the lag is counted from.
    """
    committed = offsets.committed
    valid = committed is not None and offsets.earliest <= committed <= offsets.end
    position = committed if valid and committed is not None else offsets.earliest
    return max(0, offsets.end - position)


def kafka_lag(partitions: list[PartitionOffsets]) -> int:
    return sum(partition_lag(offsets) for offsets in partitions)


def queue_backlog(
    counts: QueueCounts, seen_ready: tuple[TimedCount, ...], now: float, statistics_age_s: float
) -> tuple[int, tuple[TimedCount, ...]]:
    """Ready plus unacknowledged messages, never less than the statistics can vouch for.

    Messages seen ready within ``statistics_age_s`` may since have been taken by a
    consumer: then they are unacknowledged, which statistics that old do not show yet.
    So each ready count seen that recently still counts; once the statistics are at
    least that fresh they include those messages, as unacknowledged or as gone.
    Returns the backlog and the ready counts to keep for the next reading.
    """
    kept = (
        *(seen for seen in seen_ready if seen.at >= now - statistics_age_s),
        TimedCount(now, counts.ready),
    )
    return max(counts.counted, *(seen.count for seen in kept)), kept


def recommend(
    policy: ScalingPolicy, backlog: int, current: int, partitions: int | None = None
) -> Recommendation:
    """Replicas for this backlog alone, before stabilization."""
    if current == 0 and backlog <= policy.activation_backlog:
        return Recommendation(
            policy.min_replicas,
            f"backlog {backlog} not above the activation backlog {policy.activation_backlog}",
        )
    wanted = math.ceil(backlog / policy.target_backlog_per_replica)
    replicas = min(max(wanted, policy.min_replicas), policy.max_replicas)
    why = (
        f"backlog {backlog} at {policy.target_backlog_per_replica} per replica wants {wanted}"
        + _bounds_note(wanted, replicas, policy)
    )
    if partitions is not None and replicas > partitions:
        replicas = partitions
        why += f", capped at the topic's {partitions} partitions"
    return Recommendation(replicas, why)


def _bounds_note(wanted: int, replicas: int, policy: ScalingPolicy) -> str:
    if wanted > replicas:
        return f", at most maxReplicas {policy.max_replicas}"
    if wanted < replicas:
        return f", at least minReplicas {policy.min_replicas}"
    return ""


def stabilize(
    policy: ScalingPolicy,
    history: ScalingHistory,
    now: float,
    current: int,
    recommended: int,
) -> tuple[int, ScalingHistory]:
    """The HPA's rule: scale up to the lowest recommendation of the scale-up window,
    down to the highest of the scale-down window, else stay. A backlog that swings
    back and forth therefore scales up once and comes down only after it stayed low
    for the whole scale-down window."""
    entries = (*history.recommendations, TimedRecommendation(now, recommended))
    up_cutoff = now - policy.scale_up_stabilization_s
    down_cutoff = now - policy.scale_down_stabilization_s
    up_limit = min(entry.replicas for entry in entries if entry.at >= up_cutoff)
    down_candidates = [entry.replicas for entry in entries if entry.at >= down_cutoff]
    floor = history.floor if history.floor and history.floor.at >= down_cutoff else None
    if floor is not None:
        down_candidates.append(floor.replicas)
    down_limit = max(down_candidates)

    desired = min(max(current, up_limit), down_limit)

    oldest_needed = min(up_cutoff, down_cutoff)
    kept = tuple(entry for entry in entries if entry.at >= oldest_needed)
    return desired, ScalingHistory(kept, floor)


def decide(
    policy: ScalingPolicy,
    history: ScalingHistory,
    now: float,
    current: int,
    reading: BacklogReading | BacklogUnavailable,
) -> Decision:
    if isinstance(reading, BacklogUnavailable):
        # Never act on what could not be read: an error is not an empty backlog.
        return Decision(current, current, f"{reading.message}; replicas kept at {current}", history)
    recommendation = recommend(policy, reading.backlog, current, reading.partitions)
    desired, kept = stabilize(policy, history, now, current, recommendation.replicas)
    why = recommendation.why
    if recommendation.replicas < desired:
        why += (
            f"; held at {desired} by the {policy.scale_down_stabilization_s:g}s"
            " scale-down stabilization window"
        )
    elif recommendation.replicas > desired:
        why += (
            f"; held at {desired} by the {policy.scale_up_stabilization_s:g}s"
            " scale-up stabilization window"
        )
    return Decision(desired, current, why, kept)
