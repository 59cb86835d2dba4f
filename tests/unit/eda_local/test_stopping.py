"""`make run`'s stop order with small stand-in processes: the services stop before the
subscribers, a process that ends by itself stops the rest, every end is one line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from eda_local.procfile import Command
from eda_local.stopping import run_until_stopped
from eda_local.tansu import free_port
from shared.settings import BrokerKind, Settings

# Exits 0 on SIGTERM after saying so, like the system's processes.
POLITE = (
    "import signal, sys, time\n"
    "def stop(*_):\n"
    "    print('{name} got SIGTERM', flush=True)\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "{then}\n"
    "time.sleep(60)\n"
)
# Nothing to drain: no subscriber on Kafka.
NO_KAFKA = Settings(default_broker=BrokerKind.RABBITMQ)


def polite(name: str, *, is_service: bool, then: str = "") -> Command:
    script = POLITE.format(name=name, then=then)
    return Command(
        name, "db", (sys.executable, "-c", script), is_service=is_service, port=free_port()
    )


def _after(ready: Path, code: str) -> str:
    """``code`` once the web stand-in handles SIGTERM (it then writes ``ready``)."""
    return (
        "import os, pathlib, signal, time\n"
        f"while not pathlib.Path({str(ready)!r}).exists(): time.sleep(0.01)\n"
        f"{code}"
    )


async def test_a_process_that_ends_by_itself_stops_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ready = tmp_path / "web-ready"
    web = polite("web", is_service=True, then=f"open({str(ready)!r}, 'w').close()")
    crash = Command(
        "crasher",
        "db",
        (sys.executable, "-c", _after(ready, "print('boom'); exit(3)")),
        is_service=False,
        port=free_port(),
    )
    outcome = await run_until_stopped([web, crash], dict(os.environ), NO_KAFKA, width=7)
    assert outcome.code == 1
    assert outcome.summary == "stopped every process because crasher exited with code 3"
    lines = capsys.readouterr().out.splitlines()
    assert "crasher | boom" in lines
    assert "crasher | exited with code 3" in lines
    assert lines[-1] == "web     | stopped"


async def test_the_services_stop_before_the_subscribers(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ready = tmp_path / "web-ready"
    web = polite("web", is_service=True, then=f"open({str(ready)!r}, 'w').close()")
    sub = polite(
        "sub", is_service=False, then=_after(ready, "os.kill(os.getppid(), signal.SIGTERM)")
    )
    outcome = await run_until_stopped([web, sub], dict(os.environ), NO_KAFKA, width=7)
    lines = capsys.readouterr().out.splitlines()
    assert lines.index("web     | stopped") < lines.index("sub     | sub got SIGTERM"), lines
    assert lines[-1] == "sub     | stopped"
    assert outcome.code == 0, lines
    assert outcome.summary == "every process stopped cleanly"
