"""Figures as JSON lines on stdout; progress on stderr."""

from __future__ import annotations

import json
import logging
import statistics
import sys
from dataclasses import dataclass

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


def emit(figure: Figure) -> None:
    print(figure.as_json(), flush=True)
    log.info("%s", figure.as_json())


def configure_logging() -> None:
    """Only the bench's own progress reaches stderr; client libraries stay at warnings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    log.setLevel(logging.INFO)
