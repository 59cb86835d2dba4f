"""A lane looks on its own less and less often, whatever its looks find; passes
that wakes asked for leave that as it is. A pass that took fewer rows than it could is
not followed by another unless a wake came; one that took all it could is followed at
once. No database and no clock: the passes are stand-ins and the waits are recorded
and answered at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shared.outbox import lanes as lanes_module
from shared.outbox.lanes import IdlePoll, Lanes, PassOutcome
from shared.settings import OutboxSettings

FIRST_S = 0.2
MAX_S = 2.0
LINGER_S = 0.005
EMPTY = PassOutcome(0)
SOME = PassOutcome(5)
FULL = PassOutcome(500, may_have_left_rows=True)


class ScriptedLanes(Lanes):
    """One lane whose passes publish what ``outcomes`` says, then stop the lanes."""

    def __init__(self, outcomes: list[PassOutcome]) -> None:
        settings = OutboxSettings(
            lanes=1, idle_poll_s=FIRST_S, idle_poll_max_s=MAX_S, linger_s=LINGER_S
        )
        super().__init__(settings, self.relay_pass, self.no_chores)
        self._outcomes: Iterator[PassOutcome] = iter(outcomes)

    async def relay_pass(self) -> PassOutcome:
        outcome = next(self._outcomes, None)
        if outcome is None:
            self.stop()
            return EMPTY
        return outcome

    async def no_chores(self) -> None:
        return None


def lingers_of(
    lanes: ScriptedLanes, woken_at: set[int], monkeypatch: pytest.MonkeyPatch
) -> list[float]:
    """The lingers the lane took, its waits answered as ``waits_of`` answers them."""
    lingers: list[float] = []

    async def recorded(seconds: float) -> None:
        lingers.append(seconds)

    monkeypatch.setattr(lanes_module, "_pause", recorded)
    waits_of(lanes, woken_at, monkeypatch)
    return lingers


def waits_of(
    lanes: ScriptedLanes, woken_at: set[int], monkeypatch: pytest.MonkeyPatch
) -> list[float]:
    """The idle waits the lane asked for; the waits numbered in ``woken_at`` end by a wake."""
    waits: list[float] = []

    async def recorded(wakeup: asyncio.Event, timeout: float) -> bool:
        waits.append(timeout)
        return len(waits) - 1 in woken_at

    monkeypatch.setattr(lanes_module, "_wait", recorded)
    asyncio.run(lanes.run())
    return waits[:-1]  # the last is the wait after the pass that stopped the lanes


def test_an_idle_lane_doubles_its_wait_up_to_the_most() -> None:
    poll = IdlePoll(FIRST_S, MAX_S)
    seen = []
    for _ in range(7):
        seen.append(poll.next_s)
        poll.looked()
    assert seen == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0]


def test_the_lane_waits_longer_after_each_empty_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    waits = waits_of(ScriptedLanes([EMPTY] * 6), set(), monkeypatch)
    assert waits == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_passes_that_wakes_asked_for_leave_the_poll_as_it_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the waits numbered 2 to 4 end by wakes (the process's commits): their passes,
    # with or without rows, neither lengthen nor shorten the lane's own looks
    outcomes = [EMPTY, EMPTY, EMPTY, SOME, SOME, EMPTY]
    waits = waits_of(ScriptedLanes(outcomes), {2, 3, 4}, monkeypatch)
    assert waits == [0.2, 0.4, 0.8, 0.8, 0.8, 0.8]


def test_rows_found_by_a_look_of_its_own_do_not_shorten_the_poll(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # under load a lane's own looks find the rows of the processes beside it
    waits = waits_of(ScriptedLanes([EMPTY, EMPTY, EMPTY, SOME, EMPTY, EMPTY]), set(), monkeypatch)
    assert waits == [0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_a_pass_that_took_all_it_could_is_followed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # two full passes and no wait between them; then the partial pass waits for a wake
    waits = waits_of(ScriptedLanes([FULL, FULL, SOME, EMPTY]), set(), monkeypatch)
    assert waits == [0.2, 0.4]


def test_a_wake_during_a_partial_pass_makes_the_lane_pass_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the wait after the partial pass ends by a wake: the next wait is the first again
    waits = waits_of(ScriptedLanes([SOME, EMPTY, EMPTY]), {0}, monkeypatch)
    assert waits == [0.2, 0.2, 0.4]


def test_a_wake_soon_after_a_pass_that_published_lingers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # both waits after passes that published end by wakes: both wait for more commits
    lingers = lingers_of(ScriptedLanes([SOME, SOME, EMPTY]), {0, 1}, monkeypatch)
    assert lingers == [LINGER_S, LINGER_S]


def test_a_wake_after_a_quiet_spell_passes_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # nothing was published before: the first event after idle is not held up
    assert lingers_of(ScriptedLanes([EMPTY, EMPTY, EMPTY]), {0, 1}, monkeypatch) == []
