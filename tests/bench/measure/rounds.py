"""Run contestants side by side: every round runs each once, in a rotated order; with two
contestants, each round reverses the last one's order (alternating rounds)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from tests.bench.measure.timing import Metered

log = logging.getLogger("bench")

Contestant = Callable[[int], Awaitable[float]]
"""Given the round number, run once and return messages per second."""


async def side_by_side(
    contestants: dict[str, Contestant],
    rounds: int,
    before_round: Callable[[int], Awaitable[None]] | None = None,
) -> dict[str, list[float]]:
    # Rotating the order spreads warm-up and broker drift over every contestant alike.
    names = list(contestants)
    results: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        if before_round is not None:
            await before_round(round_number)
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            rate = await contestants[name](round_number)
            log.info("round %d: %s %.0f messages/s", round_number + 1, name, rate)
            results[name].append(rate)
    return results


MeteredContestant = Callable[[int], Awaitable[Metered]]
"""Given the round number, run once and return the rate with the CPU time it took."""


async def metered_side_by_side(
    contestants: dict[str, MeteredContestant],
    rounds: int,
    before_round: Callable[[int], Awaitable[None]] | None = None,
) -> dict[str, list[Metered]]:
    """``side_by_side``, keeping each run's CPU time beside its rate."""
    kept: dict[str, list[Metered]] = {name: [] for name in contestants}

    def keeping(name: str) -> Contestant:
        async def once(round_number: int) -> float:
            run = await contestants[name](round_number)
            kept[name].append(run)
            log.info(
                "round %d: %s %.1f µs CPU/message (this process)",
                round_number + 1,
                name,
                run.cpu_us_per_message,
            )
            return run.rate

        return once

    await side_by_side({name: keeping(name) for name in contestants}, rounds, before_round)
    return kept
