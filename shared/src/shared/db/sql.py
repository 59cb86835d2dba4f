"""Small helpers for parametrised SQL."""

from __future__ import annotations


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an ``IN (…)`` list: PyMySQL refuses lists and tuples as one parameter."""
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * count)
