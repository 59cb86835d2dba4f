"""What the report says about a run besides its figures: when, which groups, how long,
and how busy the machine was meanwhile (benchmarks on two shared cores move with it)."""

from __future__ import annotations

import json
import statistics
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.reporting.machine import Machine

LOAD_SAMPLE_S = 10.0


@dataclass(frozen=True, slots=True)
class GroupRun:
    name: str
    seconds: float
    failed: bool = False


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """The 1-minute load average, sampled every ``LOAD_SAMPLE_S`` seconds during the run."""

    samples: int
    min: float
    median: float
    max: float


@dataclass(frozen=True, slots=True)
class RunInfo:
    started_at: str
    """ISO 8601, UTC."""
    seconds: float
    groups: list[GroupRun] = field(default_factory=list)
    load: LoadSummary | None = None
    machine: Machine | None = None

    @property
    def date(self) -> str:
        return self.started_at[:10]

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["machine"] = None if self.machine is None else self.machine.as_dict()
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> RunInfo:
        load = document.get("load")
        machine = document.get("machine")
        return cls(
            started_at=str(document["started_at"]),
            seconds=float(document["seconds"]),
            groups=[GroupRun(**group) for group in document.get("groups", [])],
            load=None if load is None else LoadSummary(**load),
            machine=None if machine is None else Machine.from_dict(machine),
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load_from(cls, path: Path) -> RunInfo:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_average() -> float | None:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


class LoadSampler:
    """Samples the load average on a thread of its own until stopped."""

    def __init__(self, every_s: float = LOAD_SAMPLE_S) -> None:
        self._every_s = every_s
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="load-sampler", daemon=True)

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            value = load_average()
            if value is not None:
                self._samples.append(value)
            if self._stop.wait(self._every_s):
                return

    def summary(self) -> LoadSummary | None:
        samples = list(self._samples)
        if not samples:
            return None
        return LoadSummary(len(samples), min(samples), statistics.median(samples), max(samples))
