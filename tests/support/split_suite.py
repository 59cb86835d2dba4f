"""``python -m tests.support.split_suite [pytest args]``: what ``make test`` runs, the
whole suite as two pytest processes at once.

The images and pods (``tests/containers``) and the chart checks (``tests/deploy``) wait
mostly on podman and helm, the rest mostly on servers and the processes under test;
run side by side they take about the time of the longer. The side run's output goes to
``.run/test-side.log`` and is printed whole once both are done; the exit status is the
first failing run's."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SIDE = ("tests/containers", "tests/deploy")
SIDE_LOG = REPO / ".run" / "test-side.log"


def main(extra: Sequence[str]) -> int:
    SIDE_LOG.parent.mkdir(exist_ok=True)
    started = time.monotonic()
    python = [sys.executable, "-m", "pytest", *extra]
    with SIDE_LOG.open("w") as log:
        # The cache plugin writes one file from both runs: the side run leaves it alone.
        side = subprocess.Popen(
            [*python, "-p", "no:cacheprovider", *SIDE],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        print(f">> {' '.join(SIDE)} running beside the rest (output: {SIDE_LOG})", flush=True)
        ignored = [f"--ignore={path}" for path in SIDE]
        main_code = subprocess.call([*python, *ignored], cwd=REPO)
        side_code = side.wait()
    print(f"\n>> {' '.join(SIDE)}, run beside the rest:\n", flush=True)
    sys.stdout.write(SIDE_LOG.read_text(errors="replace"))
    print(f"\n>> both runs done in {time.monotonic() - started:.0f} s", flush=True)
    return main_code or side_code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
