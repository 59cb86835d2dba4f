"""``python -m tests.bench [GROUP ...] [--report]``: the figures of ``make bench``.

- ``messaging``: throughput of ``shared`` against raw clients and FastStream; then
  ``shared`` over TLS against plaintext: throughput and client CPU per message.
- ``tracing``: the shared Kafka publisher and subscriber with tracing off and on, and
  FastStream's subscriber without and with its OpenTelemetry middleware.
- ``outbox``: relay throughput (one and two relays) and commit-to-handler latency.
- ``api``: ``POST /orders`` on a real ``order-service serve`` process.
- ``subscriber``: the real ``order.confirmed`` handler, batched vs one transaction each,
  and batched in one vs two subscriber processes.
- ``flow``: the whole system as processes: ``POST /orders`` response → user stats updated,
  at several offered loads.
- ``system``: the whole system's cost as ``make run`` runs it: every process's CPU per
  order, idle CPU, the first event after idle, MariaDB statements per order.

No argument runs every group. Prints one JSON object per figure on stdout; progress
goes to stderr. ``--report`` (what ``make bench`` runs) also keeps the figures in
``.bench/figures.jsonl`` and the run's details in ``.bench/run.json``, then writes
docs/benchmarks.md and its plots (``tests.bench.reporting``). A group that fails is
logged and the next one still runs; the exit status says so.

Each group starts its own in-memory Tansu broker for Kafka; RabbitMQ
is the one at ``EDA_RABBITMQ__URL`` (default ``amqp://guest:guest@127.0.0.1:5672/``)
and MariaDB the one the tests use (``EDA_TEST_MYSQL_*``, default root on
127.0.0.1:3306). Exchanges, queues, topics and databases get unique names and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from uuid import uuid4

from eda_local.tansu import running_tansu
from shared.settings import load_settings
from tests.bench.figure import configure_logging, emit, figures_copied_to, log
from tests.bench.groups import (
    Brokers,
    Step,
    api,
    flow,
    messaging,
    outbox,
    subscriber,
    system,
    tracing,
)
from tests.bench.reporting import FIGURES, MARKDOWN, RUN_INFO, shown_path, write_report
from tests.bench.reporting.figures import load_figures
from tests.bench.reporting.machine import describe_machine
from tests.bench.reporting.run import GroupRun, LoadSampler, RunInfo, now_iso

# Groups a run without arguments leaves out (none: every group fits in a full run).
ON_REQUEST: set[str] = set()

GROUPS: dict[str, Callable[[Brokers, str], list[Step]]] = {
    "messaging": messaging.steps,
    "outbox": outbox.steps,
    "api": api.steps,
    "tracing": tracing.steps,
    "subscriber": subscriber.steps,
    "flow": flow.steps,
    "system": system.steps,
}


def run_group(group: str, run_id: str) -> None:
    """Emit the group's figures, each step's as soon as it is done, against a Tansu of its own."""
    with running_tansu() as bootstrap:
        log.info("Tansu listening on %s", bootstrap)
        brokers = Brokers(kafka_bootstrap=bootstrap, rabbitmq_url=load_settings().rabbitmq.url)
        asyncio.run(_emit(GROUPS[group](brokers, run_id)))


async def _emit(steps: Sequence[Step]) -> None:
    for step in steps:
        for figure in await step():
            emit(figure)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=" | ".join(GROUPS))
    parser.add_argument(
        "--report",
        action="store_true",
        help=f"also keep the figures in {shown_path(FIGURES)} and the run's details in"
        f" {shown_path(RUN_INFO)}, then write {shown_path(MARKDOWN)} and its plots",
    )
    args = parser.parse_args(argv)
    chosen = args.groups or [g for g in GROUPS if g not in ON_REQUEST]
    unknown = sorted(set(chosen) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    configure_logging()
    failed = run_and_report(chosen) if args.report else run_groups(chosen)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


def run_groups(chosen: Sequence[str], timings: list[GroupRun] | None = None) -> list[str]:
    """Run the groups in order; a group that fails is logged and the next one still runs."""
    run_id = uuid4().hex[:12]
    started = time.monotonic()
    log.info("bench run %s: %s", run_id, ", ".join(chosen))
    failed = []
    for group in chosen:
        group_started = time.monotonic()
        try:
            run_group(group, run_id)
        except Exception:
            log.exception("%s failed", group)
            failed.append(group)
        seconds = time.monotonic() - group_started
        if timings is not None:
            timings.append(GroupRun(group, seconds, failed=group in failed))
        log.info("%s %s in %.0fs", group, "failed" if group in failed else "done", seconds)
    log.info("done in %.0fs", time.monotonic() - started)
    return failed


def run_and_report(chosen: Sequence[str]) -> list[str]:
    """``make bench``: run, keep the figures and the run's details, write the report."""
    machine = describe_machine(load_settings().rabbitmq.url)
    started_at = now_iso()
    started = time.monotonic()
    timings: list[GroupRun] = []
    with figures_copied_to(FIGURES), LoadSampler() as load:
        failed = run_groups(chosen, timings)
    run = RunInfo(
        started_at=started_at,
        seconds=time.monotonic() - started,
        groups=timings,
        load=load.summary(),
        machine=machine,
    )
    run.save(RUN_INFO)
    missing = [group for group in GROUPS if group not in chosen]
    note = None
    if missing or failed:
        not_run = ", ".join(f"`{group}`" for group in [*missing, *failed])
        note = f"Partial run, without {not_run}: a full `make bench` refreshes every figure."
    written = write_report(load_figures(FIGURES), run, source=shown_path(FIGURES), note=note)
    log.info("wrote %s", shown_path(written))
    return failed


if __name__ == "__main__":
    main()
