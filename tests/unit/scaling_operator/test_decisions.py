"""The scaling rules as pure functions, case by case."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from scaling_operator.decisions import (
    BacklogReading,
    BacklogUnavailable,
    PartitionOffsets,
    QueueCounts,
    ScalingHistory,
    ScalingPolicy,
    TimedCount,
    decide,
    kafka_lag,
    partition_lag,
    queue_backlog,
    recommend,
)

POLICY = ScalingPolicy(min_replicas=1, max_replicas=6, target_backlog_per_replica=500)
SCALE_TO_ZERO = ScalingPolicy(
    min_replicas=0, max_replicas=6, target_backlog_per_replica=500, activation_backlog=50
)


@pytest.mark.parametrize(
    ("backlog", "current", "expected"),
    [
        (0, 1, 1),  # never below minReplicas
        (1, 1, 1),
        (500, 1, 1),  # exactly one replica's worth
        (501, 1, 2),  # one message more needs a second replica
        (1_500, 3, 3),
        (2_999, 1, 6),
        (3_001, 1, 6),  # wants 7: clamped to maxReplicas
        (1_000_000, 6, 6),
    ],
)
def test_thresholds_and_clamping(backlog: int, current: int, expected: int) -> None:
    assert recommend(POLICY, backlog, current).replicas == expected


@pytest.mark.parametrize(
    ("min_replicas", "backlog", "expected"),
    [(3, 0, 3), (3, 499, 3), (3, 2_000, 4), (0, 0, 0), (6, 10, 6)],
)
def test_min_replicas_is_a_floor(min_replicas: int, backlog: int, expected: int) -> None:
    policy = ScalingPolicy(min_replicas, 6, 500)
    assert recommend(policy, backlog, current=3).replicas == expected


@pytest.mark.parametrize(
    ("current", "backlog", "expected", "why"),
    [
        (0, 0, 0, "idle stays at zero"),
        (0, 50, 0, "at the activation backlog: not above it"),
        (0, 51, 1, "above it: one replica"),
        (0, 1_200, 3, "from zero straight to what the backlog needs"),
        (2, 30, 1, "running replicas keep working off a small backlog"),
        (1, 0, 0, "an empty backlog lets minReplicas 0 take it to zero"),
    ],
)
def test_activation_applies_from_zero_replicas_only(
    current: int, backlog: int, expected: int, why: str
) -> None:
    assert recommend(SCALE_TO_ZERO, backlog, current).replicas == expected, why


@pytest.mark.parametrize(
    ("policy", "backlog", "partitions", "expected"),
    [
        (ScalingPolicy(1, 20, 100), 10_000, 6, 6),  # wants 20, the topic has 6 partitions
        (ScalingPolicy(1, 20, 100), 300, 6, 3),  # below the cap: the backlog decides
        (ScalingPolicy(1, 4, 100), 10_000, 6, 4),  # maxReplicas below the cap
        (ScalingPolicy(8, 10, 100), 0, 6, 6),  # even minReplicas never exceeds the partitions
        (ScalingPolicy(1, 20, 100), 10_000, None, 20),  # RabbitMQ: no cap
    ],
)
def test_replicas_never_exceed_the_partition_count(
    policy: ScalingPolicy, backlog: int, partitions: int | None, expected: int
) -> None:
    recommendation = recommend(policy, backlog, 1, partitions)
    assert recommendation.replicas == expected
    if partitions is not None and expected == partitions:
        assert f"{partitions} partitions" in recommendation.why


@pytest.mark.parametrize(
    ("earliest", "end", "committed", "lag", "why"),
    [
        (0, 1_000, None, 1_000, "no commit: everything retained is backlog"),
        (400, 1_000, None, 600, "no commit: from the earliest retained offset, not from 0"),
        (0, 1_000, 250, 750, "from the committed offset"),
        (0, 1_000, 1_000, 0, "caught up"),
        (400, 1_000, 400, 600, "committed exactly at the earliest retained"),
        (400, 1_000, 100, 600, "committed offset deleted by retention: from the earliest"),
        (0, 1_000, 5_000, 1_000, "committed beyond the end (topic recreated): from the earliest"),
        (700, 700, None, 0, "an emptied partition"),
    ],
)
def test_partition_lag_counts_only_offsets_that_exist(
    earliest: int, end: int, committed: int | None, lag: int, why: str
) -> None:
    assert partition_lag(PartitionOffsets(earliest, end, committed)) == lag, why


def test_kafka_lag_is_the_sum_over_partitions() -> None:
    partitions = [
        PartitionOffsets(0, 100, 100),
        PartitionOffsets(50, 300, None),
        PartitionOffsets(80, 90, 10),
    ]
    assert kafka_lag(partitions) == 0 + 250 + 10


def replay(
    policy: ScalingPolicy,
    backlogs: Sequence[tuple[float, int | None]],
    start: int,
    partitions: int | None = None,
) -> list[int]:
    """Feed readings (time, backlog; None for a failed reading) through ``decide`` the
    way the operator does, applying each decision; return the replicas after each."""
    current = start
    history = ScalingHistory.starting(backlogs[0][0], start)
    replicas = []
    for now, backlog in backlogs:
        reading: BacklogReading | BacklogUnavailable = (
            BacklogReading(backlog, partitions)
            if backlog is not None
            else BacklogUnavailable("BrokerUnreachable", "connection refused", False)
        )
        decision = decide(policy, history, now, current, reading)
        history = decision.history
        current = decision.desired
        replicas.append(current)
    return replicas


def test_scale_up_is_immediate_and_scale_down_waits_for_the_window() -> None:
    policy = ScalingPolicy(1, 6, 500, scale_down_stabilization_s=10)
    readings = [(0.0, 5_000), (1.0, 0), (5.0, 0), (9.9, 0), (10.1, 0), (12.0, 0)]
    assert replay(policy, readings, start=1) == [6, 6, 6, 6, 1, 1]


def test_no_flapping_under_an_oscillating_backlog() -> None:
    policy = ScalingPolicy(1, 6, 500, scale_down_stabilization_s=5)
    swinging = [(float(t), 3_000 if t % 2 == 0 else 0) for t in range(30)]
    replicas = replay(policy, swinging, start=1)
    assert replicas == [6] * 30
    settled = replay(policy, [*swinging, *((30.0 + t, 0) for t in range(8))], start=1)
    assert settled[30:] == [6, 6, 6, 6, 1, 1, 1, 1]  # low for the whole window: down once


def test_scale_down_goes_to_the_highest_recommendation_of_the_window() -> None:
    policy = ScalingPolicy(1, 6, 500, scale_down_stabilization_s=4)
    readings = [(0.0, 3_000), (1.0, 2_000), (2.0, 1_000), (3.0, 0), (5.5, 0), (6.5, 0), (8.0, 0)]
    # 6, then the window's maximum falls as the high readings age out of it.
    assert replay(policy, readings, start=1) == [6, 6, 6, 6, 2, 1, 1]


def test_scale_up_stabilization_ignores_a_short_spike() -> None:
    policy = ScalingPolicy(1, 6, 500, scale_up_stabilization_s=3)
    spike = [(0.0, 0), (1.0, 5_000), (2.0, 0), (3.0, 0)]
    assert replay(policy, spike, start=1) == [1, 1, 1, 1]
    sustained = [(0.0, 0), (1.0, 5_000), (2.0, 5_000), (3.0, 5_000), (4.0, 5_000), (5.0, 5_000)]
    assert replay(policy, sustained, start=1) == [1, 1, 1, 1, 6, 6]


@pytest.mark.parametrize("current", [0, 1, 3, 6])
def test_a_broker_error_leaves_the_replicas_unchanged(current: int) -> None:
    history = ScalingHistory.starting(0.0, current)
    for policy in (POLICY, SCALE_TO_ZERO):
        error = BacklogUnavailable("BrokerUnreachable", "connection refused", False)
        decision = decide(policy, history, 100.0, current, error)
        assert decision.desired == current
        assert not decision.scales
        assert decision.history is history
        assert "replicas kept" in decision.why


def test_errors_in_a_row_neither_scale_down_nor_up() -> None:
    policy = ScalingPolicy(0, 6, 500, scale_down_stabilization_s=2)
    readings: list[tuple[float, int | None]] = [
        (0.0, 5_000),
        *((float(t), None) for t in range(1, 20)),
        (20.0, 5_000),
    ]
    assert replay(policy, readings, start=1) == [6] * 21


def test_after_a_restart_no_scale_down_before_a_whole_window() -> None:
    policy = ScalingPolicy(1, 6, 500, scale_down_stabilization_s=10)
    # The operator (re)starts finding 5 replicas and an empty backlog.
    assert replay(policy, [(0.0, 0), (5.0, 0), (9.0, 0), (10.5, 0)], start=5) == [5, 5, 5, 1]
    # The floor never holds back a scale-up.
    assert replay(policy, [(0.0, 5_000)], start=2) == [6]


def test_the_partition_cap_applies_through_decide() -> None:
    policy = ScalingPolicy(1, 12, 100)
    assert replay(policy, [(0.0, 5_000)], start=1, partitions=6) == [6]


@pytest.mark.parametrize(
    ("counted", "ready", "seen", "backlog", "why"),
    [
        (5_000, 0, [], 5_000, "unacknowledged messages count (statistics)"),
        (100, 3_000, [], 3_000, "a burst counts as soon as it is ready, before the statistics"),
        (952, 0, [(98.0, 5_000)], 5_000, "seen ready 2 s ago, maybe unacknowledged now"),
        (952, 0, [(80.0, 5_000)], 952, "seen ready 20 s ago: the statistics include them"),
        (0, 0, [(90.0, 40), (95.0, 10)], 40, "the largest recent count"),
    ],
)
def test_queue_backlog_never_drops_what_stale_statistics_cannot_vouch_for(
    counted: int, ready: int, seen: list[tuple[float, int]], backlog: int, why: str
) -> None:
    recent = tuple(TimedCount(at, count) for at, count in seen)
    value, kept = queue_backlog(QueueCounts(counted, ready), recent, 100.0, statistics_age_s=15)
    assert value == backlog, why
    assert kept[-1] == TimedCount(100.0, ready)
    assert all(entry.at >= 85.0 for entry in kept)


def test_consumers_taking_a_backlog_before_the_statistics_refresh_scale_nothing_down() -> None:
    """Measured on RabbitMQ: the statistics still showed a count from midway through
    publishing while the consumers had already taken every message."""
    policy = ScalingPolicy(1, 5, 500, scale_down_stabilization_s=3)
    # (time, statistics' ready + unacknowledged, ready now)
    readings = [
        (0.0, 952, 5_000),  # published; statistics from midway
        *((float(t), 952, 0) for t in range(1, 8)),  # all taken, statistics not refreshed
        *((float(t), 5_000, 0) for t in range(8, 12)),  # statistics: 5,000 unacknowledged
    ]
    current, history = 1, ScalingHistory.starting(0.0, 1)
    seen: tuple[TimedCount, ...] = ()
    replicas = []
    for now, counted, ready in readings:
        backlog, seen = queue_backlog(QueueCounts(counted, ready), seen, now, 15)
        decision = decide(policy, history, now, current, BacklogReading(backlog))
        history, current = decision.history, decision.desired
        replicas.append(current)
    assert replicas == [5] * len(readings)
