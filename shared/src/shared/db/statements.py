"""Small helpers for parametrised SQL."""

from __future__ import annotations


def placeholders(count: int) -> str:
    """``%s, %s, …`` for an ``IN (…)`` list: PyMySQL refuses lists and tuples as one parameter."""
    if count < 1:
        raise ValueError("an IN list needs at least one value")
    return ", ".join(["%s"] * count)


def row_placeholders(rows: int, columns: int) -> str:
    """``(%s, %s), (%s, %s), …`` for a multi-row ``INSERT … VALUES``."""
    if rows < 1 or columns < 1:
        raise ValueError("a VALUES list needs at least one row of at least one column")
    row = "(" + ", ".join(["%s"] * columns) + ")"
    return ", ".join([row] * rows)
