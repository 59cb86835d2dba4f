"""The figures of a run as the report reads them: loaded from JSON lines, sorted into groups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from tests.bench.figure import Figure

GROUPS = ("messaging", "tracing", "subscriber", "outbox", "api", "flow", "system")
"""The groups of ``python -m tests.bench``, in the order the report shows them."""
OTHER = "other"


def load_figures(path: Path) -> list[Figure]:
    """Every figure of a JSON-lines file, in the order they were emitted; blank lines skipped."""
    text = path.read_text(encoding="utf-8")
    return parse_figures(text.splitlines())


def parse_figures(lines: Iterable[str]) -> list[Figure]:
    """Figures from JSON lines; any other line (a stray print on stdout) is skipped."""
    return [Figure.from_json(line) for line in lines if line.lstrip().startswith("{")]


def group_of(name: str) -> str:
    """The bench group a figure's name belongs to (``other`` for names no group emits)."""
    for prefix, group in (
        ("tracing.", "tracing"),
        ("outbox.", "outbox"),
        ("api.", "api"),
        ("flow.", "flow"),
        ("system.", "system"),
    ):
        if name.startswith(prefix):
            return group
    if ".subscriber." in name:
        return "subscriber"
    if name.startswith(("kafka.", "rabbitmq.")):
        return "messaging"
    return OTHER


def in_group(figures: Sequence[Figure], group: str) -> list[Figure]:
    return [figure for figure in figures if group_of(figure.name) == group]


def groups_present(figures: Sequence[Figure]) -> list[str]:
    present = {group_of(figure.name) for figure in figures}
    return [group for group in (*GROUPS, OTHER) if group in present]


def find(figures: Sequence[Figure], name: str, baseline_name: str | None = None) -> Figure | None:
    """The last figure of that name (and baseline, when given): a re-emitted figure wins."""
    for figure in reversed(figures):
        if figure.name == name and (baseline_name is None or figure.baseline_name == baseline_name):
            return figure
    return None


def value_of(figures: Sequence[Figure], name: str) -> float | None:
    """A figure's value, whether it was emitted under its own name or only as a baseline."""
    figure = find(figures, name)
    if figure is not None:
        return figure.value
    for other in reversed(figures):
        if other.baseline_name == name and other.baseline_value is not None:
            return other.baseline_value
    return None


def format_number(value: float) -> str:
    """Thousands separated; one decimal below 100 unless the value is whole."""
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}"
