"""The groups of ``python -m tests.bench``, one module each (``messaging``, ``tracing``,
``outbox``, ``api``, ``subscriber``, ``flow``) with the modules they are made of.

Every group module has ``steps(brokers, run_id)``: the parts of the group in the order
they run, each returning its figures, so that a part's figures are kept before the next
part starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.bench.figure import Figure

Step = Callable[[], Awaitable[list[Figure]]]


@dataclass(frozen=True, slots=True)
class Brokers:
    """The brokers a group runs against: a Tansu of the run's own, and RabbitMQ."""

    kafka_bootstrap: str
    rabbitmq_url: str
