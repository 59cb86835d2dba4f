"""The order in which ``make run`` stops: the HTTP services first (nothing new comes
in), then the subscribers once they have drained the embedded broker; the broker
itself stops after this, last. A second signal kills everything at once."""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka.errors import KafkaError

from eda_local.drain import wait_until_drained
from eda_local.procfile import Command
from eda_local.readiness import announce_when_ready
from eda_local.supervisor import Supervisor, describe_exit
from shared.settings import Settings

# Long enough to finish in-flight requests and handlers; a second Ctrl-C does not wait.
STOP_GRACE_S = 20.0
DRAIN_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Outcome:
    code: int
    summary: str


async def run_until_stopped(
    every: Sequence[Command], environment: Mapping[str, str], settings: Settings, width: int
) -> Outcome:
    """Start every process; on the first SIGINT or SIGTERM stop the HTTP services, let
    the subscribers drain the embedded broker, then stop them; on a second signal
    kill everything at once. A process that ends by itself stops the rest."""
    run = _Run(every, settings, Supervisor(width=width))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, run.on_signal)
    try:
        for command in every:
            await run.supervisor.start(
                command.name,
                command.argv,
                {**environment, "EDA_MYSQL__DATABASE": command.database},
            )
        run.announce_services()
        return await run.until_stopped()
    except BaseException:
        run.supervisor.kill()  # no process outlives the launcher
        await run.supervisor.wait_all()
        raise
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def _say_ready(run: _Run, command: Command) -> None:
    url = f"http://127.0.0.1:{command.port}"
    run.supervisor.line(command.name, f"ready: {url} (API docs: {url}/docs)")


class _Run:
    def __init__(self, every: Sequence[Command], settings: Settings, supervisor: Supervisor):
        self.supervisor = supervisor
        self._every = every
        self._settings = settings
        self._signals = 0
        self._requested = asyncio.Event()
        self._announcements: list[asyncio.Task[None]] = []

    def announce_services(self) -> None:
        for command in self._every:
            if command.is_service:
                say = functools.partial(_say_ready, self, command)
                announcement = announce_when_ready("127.0.0.1", command.port, say)
                self._announcements.append(asyncio.create_task(announcement))

    def on_signal(self) -> None:
        self._signals += 1
        self._requested.set()
        if self.forced:
            self.supervisor.kill()

    @property
    def forced(self) -> bool:
        return self._signals > 1

    async def until_stopped(self) -> Outcome:
        ended = asyncio.create_task(self.supervisor.first_end())
        asked = asyncio.create_task(self._requested.wait())
        await asyncio.wait({ended, asked}, return_when=asyncio.FIRST_COMPLETED)
        self.supervisor.stopping = True
        for task in (ended, asked, *self._announcements):
            if not task.done():
                task.cancel()
        await self.supervisor.stop([c.name for c in self._every if c.is_service], STOP_GRACE_S)
        if not self.forced:
            await self._drain()
        await self.supervisor.stop([c.name for c in self._every if not c.is_service], STOP_GRACE_S)
        await self.supervisor.wait_all()
        first = ended.result() if ended.done() and not ended.cancelled() else None
        return self._outcome(first)

    async def _drain(self) -> None:
        try:
            drained = await wait_until_drained(
                self._settings, DRAIN_TIMEOUT_S, cancelled=lambda: self.forced
            )
        except (KafkaError, OSError) as exc:
            drained, problem = False, f"({exc})"
        else:
            problem = f"within {DRAIN_TIMEOUT_S:.0f} s"
        if not drained and not self.forced:
            print(f"make run: the subscribers did not drain Kafka {problem}", flush=True)

    def _outcome(self, first: str | None) -> Outcome:
        codes = self.supervisor.codes()
        if first is not None:
            why = describe_exit(codes[first] or 0)
            return Outcome(1, f"stopped every process because {first} {why}")
        if self.forced:
            return Outcome(130, "stopped every process at once")
        failed = [name for name, code in codes.items() if code != 0]
        if failed:
            return Outcome(1, "stopped; not cleanly: " + ", ".join(failed))
        return Outcome(0, "every process stopped cleanly")
