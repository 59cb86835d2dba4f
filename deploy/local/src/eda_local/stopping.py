"""The order in which ``make run`` stops: the HTTP services first (nothing new comes
in), then the subscribers once they have drained the embedded broker; the broker
itself stops after this, last. A second signal kills everything at once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiokafka.errors import KafkaError

from eda_local.drain import wait_until_drained
from eda_local.procfile import Command
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
    supervisor = Supervisor(width=width)
    requested = asyncio.Event()
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        requested.set()
        if signals > 1:
            supervisor.kill()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    for command in every:
        await supervisor.start(
            command.name,
            command.argv,
            {**environment, "EDA_MYSQL__DATABASE": command.database},
        )
    ended = asyncio.create_task(supervisor.first_end())
    asked = asyncio.create_task(requested.wait())
    await asyncio.wait({ended, asked}, return_when=asyncio.FIRST_COMPLETED)
    supervisor.stopping = True
    asked.cancel()
    if not ended.done():
        ended.cancel()
    services = [c.name for c in every if c.is_service]
    subscribers = [c.name for c in every if not c.is_service]
    await supervisor.stop(services, STOP_GRACE_S)
    if signals < 2:
        with contextlib.suppress(KafkaError, OSError):
            await wait_until_drained(settings, DRAIN_TIMEOUT_S, cancelled=lambda: signals > 1)
    await supervisor.stop(subscribers, STOP_GRACE_S)
    await supervisor.wait_all()
    return _outcome(supervisor.codes(), ended, signals)


def _outcome(codes: Mapping[str, int | None], ended: asyncio.Task[str], signals: int) -> Outcome:
    if ended.done() and not ended.cancelled():
        name = ended.result()
        return Outcome(1, f"stopped every process because {name} {describe_exit(codes[name] or 0)}")
    if signals > 1:
        return Outcome(130, "stopped every process at once")
    failed = [name for name, code in codes.items() if code != 0]
    if failed:
        return Outcome(1, "stopped; not cleanly: " + ", ".join(failed))
    return Outcome(0, "every process stopped cleanly")
