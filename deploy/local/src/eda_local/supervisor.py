"""Run the system's processes, each in a session of its own, with its output prefixed
by its name; report each one's end in one line; stop them on request.

A terminal sends Ctrl-C to its whole foreground process group. In sessions of their
own the processes do not receive it: only the launcher does, and it decides the
order in which they stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

_LINE_LIMIT = 1 << 20


@dataclass
class _Supervised:
    process: asyncio.subprocess.Process
    output: asyncio.Task[None]
    ended: asyncio.Task[int]


@dataclass
class Supervisor:
    width: int
    stopping: bool = False
    _processes: dict[str, _Supervised] = field(default_factory=dict)
    _first_end: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self, name: str, argv: Sequence[str], environment: Mapping[str, str]) -> None:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=dict(environment),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            limit=_LINE_LIMIT,
        )
        output = asyncio.create_task(self._copy_output(name, process))
        ended = asyncio.create_task(self._watch(name, process, output))
        self._processes[name] = _Supervised(process, output, ended)

    def line(self, name: str, text: str) -> None:
        print(f"{name:<{self.width}} | {text}", flush=True)

    async def first_end(self) -> str:
        """The name of the first process that ended by itself."""
        await self._first_end.wait()
        return next(name for name, item in self._processes.items() if item.ended.done())

    def codes(self) -> dict[str, int | None]:
        return {name: item.process.returncode for name, item in self._processes.items()}

    async def stop(self, names: Iterable[str], grace_s: float) -> None:
        """SIGTERM to each, then SIGKILL to those still running after ``grace_s``."""
        running = [self._processes[name] for name in names]
        for item in running:
            _signal_group(item.process, signal.SIGTERM)
        if not running:
            return
        await asyncio.wait([item.ended for item in running], timeout=grace_s)
        late = [item for item in running if not item.ended.done()]
        for item in late:
            _signal_group(item.process, signal.SIGKILL)
        if late:
            await asyncio.wait([item.ended for item in late])

    def kill(self) -> None:
        for item in self._processes.values():
            _signal_group(item.process, signal.SIGKILL)

    async def wait_all(self) -> None:
        await asyncio.gather(*(item.ended for item in self._processes.values()))

    async def _copy_output(self, name: str, process: asyncio.subprocess.Process) -> None:
        stream = process.stdout
        assert stream is not None
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # a line longer than the limit: the rest, in pieces
                raw = await stream.read(_LINE_LIMIT)
            if not raw:
                return
            self.line(name, raw.decode(errors="replace").rstrip("\n"))

    async def _watch(
        self, name: str, process: asyncio.subprocess.Process, output: asyncio.Task[None]
    ) -> int:
        code = await process.wait()
        # Its last lines come before the line that says it ended.
        with contextlib.suppress(Exception):
            await output
        self.line(name, describe_exit(code))
        if not self.stopping:
            self._first_end.set()
        return code


def describe_exit(code: int) -> str:
    if code == 0:
        return "stopped"
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


def _signal_group(process: asyncio.subprocess.Process, signum: int) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
