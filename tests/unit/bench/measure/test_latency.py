"""The bench's latency percentiles: nearest rank."""

from __future__ import annotations

from tests.bench.measure.latency import percentile, summarise


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.99) == 99.0
    summary = summarise([n / 1000 for n in samples])
    assert (summary.count, summary.p50_ms, summary.max_ms) == (100, 50.0, 100.0)
