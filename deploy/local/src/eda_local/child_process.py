"""Stop a server this process started: SIGTERM, a grace period, then SIGKILL."""

from __future__ import annotations

import subprocess


def stop_child(process: subprocess.Popen[bytes], grace_s: float) -> None:
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
