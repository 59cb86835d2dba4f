"""What each figure should reach: the one table of targets, and the verdict on a figure.

A target is on a figure's value or on its ratio to its baseline. A figure that appears
on several lines (the shared consumer against the raw client and against FastStream)
is told apart by its baseline's name.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from tests.bench.figure import Figure
from tests.bench.reporting.figures import find, format_number


class On(Enum):
    VALUE = "value"
    RATIO = "ratio"


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}
_SHOWN = {">=": "≥", "<": "<", "<=": "≤", "==": "="}


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    op: str
    bound: float
    on: On = On.VALUE
    baseline_name: str | None = None
    """Only the line of ``name`` with this baseline; ``None``: any line of ``name``."""

    def applies_to(self, figure: Figure) -> bool:
        return figure.name == self.name and (
            self.baseline_name is None or figure.baseline_name == self.baseline_name
        )

    def met(self, figure: Figure) -> bool | None:
        """Whether the figure reaches the target; ``None`` when it has no ratio to judge."""
        measured = figure.value if self.on is On.VALUE else figure.ratio
        if measured is None:
            return None
        return _COMPARE[self.op](measured, self.bound)

    def describe(self) -> str:
        if self.on is On.RATIO:
            return f"ratio {_SHOWN[self.op]} {self.bound:g}"
        return f"{_SHOWN[self.op]} {format_number(self.bound)}"


def _ratio(name: str, baseline: str, bound: float) -> Target:
    return Target(name, ">=", bound, On.RATIO, baseline)


def _each_broker(make: Callable[[str], Target]) -> tuple[Target, ...]:
    return (make("kafka"), make("rabbitmq"))


TARGETS: tuple[Target, ...] = (
    # messaging: the shared layer against the raw clients and FastStream
    _ratio("kafka.publish.shared", "kafka.publish.aiokafka", 0.9),
    _ratio("rabbitmq.publish.shared", "rabbitmq.publish.aio-pika", 0.9),
    _ratio("kafka.consume.shared", "kafka.consume.aiokafka", 0.8),
    _ratio("kafka.consume.shared", "kafka.consume.faststream", 2.0),
    _ratio("rabbitmq.consume.shared", "rabbitmq.consume.aio-pika", 0.8),
    _ratio("rabbitmq.consume.shared", "rabbitmq.consume.faststream", 1.0),
    # tracing on keeps most of the throughput (FastStream's own cost has no target)
    _ratio("tracing.kafka.publish.shared.on", "tracing.kafka.publish.shared.off", 0.8),
    _ratio("tracing.kafka.consume.shared.on", "tracing.kafka.consume.shared.off", 0.8),
    # the real order.confirmed handler, batched
    Target("kafka.subscriber.order-confirmed.batched", ">=", 10_000),
    Target("rabbitmq.subscriber.order-confirmed.batched", ">=", 4_000),
    # outbox relay and latency
    Target("outbox.relay.kafka.1", ">=", 20_000),
    *_each_broker(lambda b: _ratio(f"outbox.relay.{b}.2", f"outbox.relay.{b}.1", 1.3)),
    *_each_broker(lambda b: Target(f"outbox.relay.{b}.duplicates", "==", 0)),
    *_each_broker(lambda b: Target(f"outbox.relay.{b}.missing", "==", 0)),
    *_each_broker(lambda b: Target(f"outbox.relay.{b}.out_of_order", "==", 0)),
    *_each_broker(lambda b: Target(f"outbox.latency.{b}.p99", "<", 30)),
    # POST /orders
    Target("api.orders.open200.p99", "<", 50),
    # an Idempotency-Key costs at most 15 % more server CPU per request
    Target(
        "api.orders.closed50.keyed.server_cpu",
        "<=",
        1.15,
        On.RATIO,
        "api.orders.closed50.server_cpu",
    ),
    Target("api.orders.max_sustained", ">=", 1_000),
    Target("api.orders.open1000.achieved", ">=", 1_000),
    Target("api.orders.errors", "==", 0),
    # the whole flow: POST /orders response to the user's stats
    *_each_broker(lambda b: Target(f"flow.post_to_stats.{b}.200_per_s.p99", "<", 100)),
    *_each_broker(lambda b: Target(f"flow.post_to_stats.{b}.errors", "==", 0)),
    # the whole system's cost, as make run runs it (CPU per order first)
    *_each_broker(lambda b: Target(f"system.{b}.idle.cores", "<=", 0.10)),
    *_each_broker(lambda b: Target(f"system.{b}.first_after_idle.handled", "<=", 250)),
    *_each_broker(lambda b: Target(f"system.{b}.100_per_s.cpu_per_order", "<=", 6)),
    *_each_broker(lambda b: Target(f"system.{b}.100_per_s.statements_per_order", "<=", 20)),
    *_each_broker(lambda b: Target(f"system.{b}.highest_rate_with_p99_under_250ms", ">=", 600)),
)


def target_for(figure: Figure, targets: Sequence[Target] = TARGETS) -> Target | None:
    for target in targets:
        if target.applies_to(figure):
            return target
    return None


@dataclass(frozen=True, slots=True)
class Verdict:
    target: Target
    figure: Figure | None
    """``None``: the run has no such figure."""

    @property
    def met(self) -> bool | None:
        return None if self.figure is None else self.target.met(self.figure)


def verdicts(figures: Sequence[Figure], targets: Sequence[Target] = TARGETS) -> list[Verdict]:
    """Every target with the figure that answers it, if the run has one."""
    return [Verdict(target, find(figures, target.name, target.baseline_name)) for target in targets]
