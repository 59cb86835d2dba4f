"""eda: commands for a running system: load generation, dead letters, broker rights."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from eda_cli import access, dlq, load

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

# Each command module adds its own subparser and sets ``run`` (args -> exit code).
COMMANDS: tuple[Register, ...] = (load.register, dlq.register, access.register)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="eda", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for register in COMMANDS:
        register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
