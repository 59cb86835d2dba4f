"""The bench's own arithmetic: delivery audits, latency percentiles, achieved rates."""

from __future__ import annotations

import argparse

import pytest

from eda_cli.load.tally import Tally
from tests.bench.measure.latency import percentile, summarise
from tests.bench.processes.orders_load import report
from tests.support.delivery_audit import Delivered, audit
from tests.support.outbox_data import outbox_events


def test_audit_counts_duplicates_losses_order_and_foreign_messages() -> None:
    rows = outbox_events(4, aggregates=2, seed=1)  # aggregates alternate: a, b, a, b
    first, second, third, _fourth = rows
    delivered = [
        Delivered(first.subject, first.id),
        Delivered("warm-up", "not-a-row"),
        Delivered(third.subject, third.id),
        Delivered(first.subject, first.id),  # again
        Delivered(second.subject, second.id),
    ]
    result = audit(rows, delivered)
    assert (result.duplicates, result.missing, result.foreign, result.out_of_order) == (1, 1, 1, 0)


def test_audit_sees_an_aggregate_out_of_order() -> None:
    rows = outbox_events(3, aggregates=1, seed=2)
    delivered = [Delivered(row.subject, row.id) for row in (rows[0], rows[2], rows[1])]
    assert audit(rows, delivered).out_of_order == 1


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]
    assert percentile(samples, 0.5) == 50.0
    assert percentile(samples, 0.99) == 99.0
    summary = summarise([n / 1000 for n in samples])
    assert (summary.count, summary.p50_ms, summary.max_ms) == (100, 50.0, 100.0)


def _open_loop_report(latencies_s: list[float], rate: int) -> dict[str, object]:
    tally = Tally("orders", 202)
    for index, latency in enumerate(latencies_s):
        due = index / rate
        tally.started(0.0, waited_for_slot=False)
        tally.answered("202", latency, at=due + latency)
    args = argparse.Namespace(rate=rate, clients=0, client="raw", duration=len(latencies_s) / rate)
    return report(tally, args, cpu_s=0.0)


def test_an_open_loop_kept_in_step_achieves_the_offered_rate() -> None:
    throughput = _open_loop_report([0.002] * 10_000, rate=1_000)["throughput"]
    assert throughput == pytest.approx(1_000)


def test_an_open_loop_falling_behind_achieves_less() -> None:
    # Each answer 0.1 ms later than the one before: the server loses ground steadily.
    throughput = _open_loop_report([0.002 + index * 1e-4 for index in range(1_000)], rate=1_000)[
        "throughput"
    ]
    assert isinstance(throughput, float)
    assert throughput < 0.95 * 1_000
