"""Run contestants side by side: every round runs each once, in a rotated order."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

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
