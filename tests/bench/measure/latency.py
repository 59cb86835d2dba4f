"""Latency samples and their percentiles (nearest rank), in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class LatencySummary:
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"n={self.count} p50={self.p50_ms:.1f} ms p90={self.p90_ms:.1f} ms"
            f" p99={self.p99_ms:.1f} ms max={self.max_ms:.1f} ms"
        )


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of samples sorted in ascending order."""
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(seconds: Sequence[float]) -> LatencySummary:
    ordered = sorted(seconds)
    return LatencySummary(
        count=len(ordered),
        p50_ms=percentile(ordered, 0.50) * 1000,
        p90_ms=percentile(ordered, 0.90) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        max_ms=ordered[-1] * 1000,
    )
