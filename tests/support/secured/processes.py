"""Child servers for tests: start one with its output in a log file, wait with a deadline
until it is ready (failing at once, with its log, if it exits first), stop it at the end.
Also free ports chosen before a server binds them, and a TCP "accepts" probe."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from eda_local.child_process import stop_child
from eda_local.tansu import free_port_block


class ChildFailed(RuntimeError):
    """A child server exited or did not become ready in time; the message has its log."""

    @property
    def port_taken(self) -> bool:
        """The server could not bind its port: another process took it first."""
        return "Address already in use" in str(self)


def chosen_port() -> int:
    """A free port below the ephemeral range, for a server told its port up front: no
    outgoing connection can take it between this choice and the server's bind."""
    return free_port_block(1)


def accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def log_tail(log_path: Path, lines: int = 30) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


@contextlib.contextmanager
def running_child(
    argv: Sequence[str],
    *,
    name: str,
    log_path: Path,
    ready: Callable[[], bool],
    timeout_s: float,
    grace_s: float = 10.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` until the block ends; the block starts once ``ready()`` is true."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Out of the terminal's process group: Ctrl-C must not stop the server
            # before the processes that use it.
            start_new_session=True,
        )
    try:
        wait_until_ready(process, name=name, log_path=log_path, ready=ready, timeout_s=timeout_s)
        yield process
    finally:
        if process.poll() is None:
            stop_child(process, grace_s=grace_s)


def wait_until_ready(
    process: subprocess.Popen[bytes],
    *,
    name: str,
    log_path: Path,
    ready: Callable[[], bool],
    timeout_s: float,
) -> None:
    deadline = time.monotonic() + timeout_s
    while not ready():
        code = process.poll()
        if code is not None:
            raise ChildFailed(
                f"{name} exited with {code} before it was ready; {log_path}:\n{log_tail(log_path)}"
            )
        if time.monotonic() > deadline:
            raise ChildFailed(
                f"{name} not ready after {timeout_s}s; {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(0.05)
