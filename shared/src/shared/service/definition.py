"""The facts that make one service itself; everything else is built from them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from shared.events.producers import source_of


@dataclass(frozen=True, slots=True)
class ServiceDefinition:
    name: str
    """Process, CLI and telemetry name, e.g. ``order-service``."""
    summary: str
    """One line for ``--help`` and the OpenAPI document."""
    database: str
    """Default database name, used where ``EDA_MYSQL__DATABASE`` is not set."""
    http_port: int
    """Default port, used where ``EDA_HTTP_PORT`` is not set."""
    migrations_dir: Path
    migrations_namespace: str
    readiness_table: str
    """A table the migrations create: ``serve`` refuses to start while it is missing."""

    @property
    def source(self) -> str:
        """CloudEvents ``source`` of every event the service raises."""
        return source_of(self.name)
