"""The load process's report: the rate an open loop achieves."""

from __future__ import annotations

import argparse

import pytest

from eda_cli.load.tally import Tally
from tests.bench.processes.orders_load import report


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
