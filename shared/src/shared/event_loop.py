"""Run a long-lived process's main coroutine on uvloop.

Services and subscribers spend most of their CPU in the event loop and in socket
writes (one per database statement, fetch or publish): uvloop does that work in C.
uvicorn picks uvloop by itself; this is the same for processes that run their own loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run_on_uvloop(main: Coroutine[Any, Any, T]) -> T:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
