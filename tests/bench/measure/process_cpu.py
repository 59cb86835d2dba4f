"""CPU seconds of named processes, read from ``/proc/<pid>/stat`` (user + system time
of every thread), and the difference between two readings."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    # The command may hold spaces and parentheses: the fields start after the last ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    user, system = int(fields[11]), int(fields[12])
    return (user + system) / _TICKS_PER_S


@dataclass(frozen=True, slots=True)
class CpuReading:
    at: float
    seconds: dict[str, float]


def read_cpu(pids: Mapping[str, int]) -> CpuReading:
    return CpuReading(time.monotonic(), {name: cpu_seconds(pid) for name, pid in pids.items()})


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU seconds each process used between two readings, over ``elapsed_s``."""

    elapsed_s: float
    seconds: dict[str, float]

    @property
    def total_s(self) -> float:
        return sum(self.seconds.values())

    def cores(self, name: str | None = None) -> float:
        """CPU seconds per second of one process, or of all of them."""
        used = self.total_s if name is None else self.seconds[name]
        return used / self.elapsed_s


def cpu_used(before: CpuReading, after: CpuReading) -> CpuUse:
    return CpuUse(
        after.at - before.at,
        {name: after.seconds[name] - before.seconds[name] for name in before.seconds},
    )


def pid_listening_on(port: int) -> int:
    """The process whose command line names ``tcp://127.0.0.1:<port>`` (the bench's Tansu)."""
    wanted = f"tcp://127.0.0.1:{port}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if wanted in arguments:
            return int(entry.name)
    raise LookupError(f"no process was started to listen on {wanted.decode()}")
