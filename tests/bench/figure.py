"""Figures as JSON lines on stdout; progress on stderr."""

from __future__ import annotations

import contextlib
import json
import logging
import statistics
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger("bench")


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline_value is None:
            return None
        return self.value / self.baseline_value

    def as_json(self) -> str:
        document: dict[str, object] = {
            "name": self.name,
            "value": round(self.value, 1),
            "unit": self.unit,
        }
        ratio = self.ratio
        if self.baseline_name is not None and self.baseline_value is not None and ratio is not None:
            document["baseline_name"] = self.baseline_name
            document["baseline_value"] = round(self.baseline_value, 1)
            document["ratio"] = round(ratio, 3)
        return json.dumps(document)

    @classmethod
    def from_json(cls, line: str) -> Figure:
        """The figure of one line written by ``as_json`` (values as rounded there)."""
        document: dict[str, Any] = json.loads(line)
        baseline_value = document.get("baseline_value")
        return cls(
            name=str(document["name"]),
            value=float(document["value"]),
            unit=str(document["unit"]),
            baseline_name=document.get("baseline_name"),
            baseline_value=None if baseline_value is None else float(baseline_value),
        )


def comparison(
    name: str,
    runs: list[float],
    baseline_name: str,
    baseline_runs: list[float],
    unit: str = "messages/s",
) -> Figure:
    """Compare the medians of runs taken side by side."""
    return Figure(
        name=name,
        value=statistics.median(runs),
        unit=unit,
        baseline_name=baseline_name,
        baseline_value=statistics.median(baseline_runs),
    )


_copies: list[TextIO] = []


def emit(figure: Figure) -> None:
    line = figure.as_json()
    print(line, flush=True)
    for copy in _copies:
        copy.write(line + "\n")
        copy.flush()
    log.info("%s", line)


@contextlib.contextmanager
def figures_copied_to(path: Path) -> Iterator[None]:
    """While open, every emitted figure is also written to ``path`` (one JSON line each)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as copy:
        _copies.append(copy)
        try:
            yield
        finally:
            _copies.remove(copy)


def configure_logging() -> None:
    """Only the bench's own progress reaches stderr; client libraries stay at warnings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    log.setLevel(logging.INFO)
