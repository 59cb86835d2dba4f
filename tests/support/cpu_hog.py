"""Run a command while a busy loop keeps one core loaded, as other work on a shared
CI machine does: ``python -m tests.support.cpu_hog [--core N] -- COMMAND...``.

The hog is a separate process pinned to one core (where the platform allows it), so
the command's own processes compete with it there and the scheduler's delays show up
in the tests that depend on timing. It stops when the command ends; the command's exit
code is returned.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Sequence


def spin(core: int | None) -> None:
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    while True:
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cpu_hog", description=__doc__.splitlines()[0])
    parser.add_argument("--core", type=int, default=0, help="the core to load (default 0)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    hog = multiprocessing.get_context("spawn").Process(target=spin, args=(args.core,))
    hog.start()
    print(f">> a busy loop loads core {args.core} (pid {hog.pid})", file=sys.stderr)
    try:
        return subprocess.call(command)
    finally:
        hog.terminate()
        hog.join(timeout=5)


if __name__ == "__main__":
    sys.exit(main())
