"""Idle seconds of the relay and of subscribers, on an injected clock."""

from __future__ import annotations

from shared.telemetry.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_idle_counts_from_creation_until_the_first_completion() -> None:
    clock = Clock()
    progress = Progress(clock)
    clock.now += 7.5
    assert progress.idle_seconds(backlog=3) == 7.5


def test_idle_counts_from_the_last_completion_while_a_backlog_waits() -> None:
    clock = Clock()
    progress = Progress(clock)
    clock.now += 50
    progress.completed()
    clock.now += 2
    assert progress.idle_seconds(backlog=1) == 2


def test_no_backlog_is_never_idle() -> None:
    clock = Clock()
    progress = Progress(clock)
    clock.now += 600
    assert progress.idle_seconds(backlog=0) == 0
