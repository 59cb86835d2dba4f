"""A process driven over stdin and stdout: it prints ``ready`` once set up, starts on
``go``, and on ``stop`` (or end of input) prints one JSON line, its report.
``{"error": ...}`` is a report of failure."""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from typing import Any, Self

READY = b"ready"


class DrivenProcessError(RuntimeError):
    pass


async def commands() -> asyncio.StreamReader:
    """The child's stdin, where the parent writes ``go`` and ``stop``."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


def say_ready() -> None:
    print(READY.decode(), flush=True)


@dataclass
class DrivenProcess:
    """The parent's handle on one such process: ``python -m <module> '<config JSON>'``."""

    process: asyncio.subprocess.Process
    name: str

    @classmethod
    async def launch(cls, module: str, name: str, config: dict[str, Any]) -> Self:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return cls(process, name)

    async def ready(self, timeout_s: float) -> None:
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        if line.strip() != READY:
            raise DrivenProcessError(
                f"{self.name} process {self.process.pid} did not start: {line!r}"
            )

    def go(self) -> None:
        self._stdin.write(b"go\n")

    def check_running(self) -> None:
        """Raise if the process ended before it was told to stop."""
        if self.process.returncode is not None:
            raise DrivenProcessError(
                f"{self.name} process {self.process.pid} ended with {self.process.returncode}"
            )

    async def stopped_report(self, timeout_s: float) -> dict[str, Any]:
        """Tell it to stop; its report once it has exited."""
        self._stdin.write(b"stop\n")
        await self._stdin.drain()
        line = await asyncio.wait_for(self._stdout.readline(), timeout_s)
        await asyncio.wait_for(self.process.wait(), timeout_s)
        report: dict[str, Any] = json.loads(line)
        if "error" in report:
            raise DrivenProcessError(f"{self.name} process failed: {report['error']}")
        return report

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    @property
    def _stdin(self) -> asyncio.StreamWriter:
        assert self.process.stdin is not None
        return self.process.stdin

    @property
    def _stdout(self) -> asyncio.StreamReader:
        assert self.process.stdout is not None
        return self.process.stdout
