"""docs/benchmarks.md from a run's figures: the hand-written template, the generated
tables with targets and verdicts, the machine, and PNG plots under docs/benchmarks/.

``python -m tests.bench --report`` (what ``make bench`` runs) writes it after a run;
``python -m tests.bench.reporting`` rewrites it from saved figures.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tests.bench.figure import Figure
from tests.bench.reporting.markdown import Report, render
from tests.bench.reporting.plots import draw_all
from tests.bench.reporting.run import RunInfo

ROOT = Path(__file__).resolve().parents[3]
MARKDOWN = ROOT / "docs" / "benchmarks.md"
TEMPLATE = ROOT / "docs" / "benchmarks.template.md"
PLOTS = ROOT / "docs" / "benchmarks"
BENCH_DIR = ROOT / ".bench"
FIGURES = BENCH_DIR / "figures.jsonl"
RUN_INFO = BENCH_DIR / "run.json"


def write_report(
    figures: Sequence[Figure],
    run: RunInfo | None,
    *,
    source: str,
    markdown: Path = MARKDOWN,
    template: Path = TEMPLATE,
    plots: Path = PLOTS,
    note: str | None = None,
) -> Path:
    """Draw the plots, fill the template, write the Markdown; return its path."""
    report = Report(
        figures=figures,
        run=run,
        plots=draw_all(figures, plots),
        markdown_path=markdown,
        source=source,
        note=note,
    )
    text = render(template.read_text(encoding="utf-8"), report)
    markdown.parent.mkdir(parents=True, exist_ok=True)
    markdown.write_text(text, encoding="utf-8")
    return markdown


def shown_path(path: Path) -> str:
    """Relative to the repository when inside it."""
    resolved = path.resolve()
    return os.path.relpath(resolved, ROOT) if resolved.is_relative_to(ROOT) else str(resolved)


__all__ = ["FIGURES", "MARKDOWN", "RUN_INFO", "shown_path", "write_report"]
