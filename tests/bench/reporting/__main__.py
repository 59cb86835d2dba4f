"""``python -m tests.bench.reporting [FIGURES] [--run RUN_JSON]``: write docs/benchmarks.md
and its plots from saved figures (by default those of the last ``make bench``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from tests.bench.reporting import (
    FIGURES,
    MARKDOWN,
    PLOTS,
    RUN_INFO,
    TEMPLATE,
    shown_path,
    write_report,
)
from tests.bench.reporting.figures import load_figures
from tests.bench.reporting.run import RunInfo


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.reporting", description=__doc__)
    parser.add_argument("figures", nargs="?", type=Path, default=FIGURES, help="JSON lines")
    parser.add_argument(
        "--run",
        type=Path,
        default=None,
        help=f"the run's details (default: {RUN_INFO.name} beside the figures)",
    )
    parser.add_argument("--markdown", type=Path, default=MARKDOWN)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--plots", type=Path, default=PLOTS, help="directory for the PNG files")
    parser.add_argument("--note", default=None, help="a line shown at the top of the report")
    args = parser.parse_args(argv)
    run_path: Path = args.run or args.figures.with_name(RUN_INFO.name)
    run = RunInfo.load_from(run_path) if run_path.exists() else None
    written = write_report(
        load_figures(args.figures),
        run,
        source=shown_path(args.figures),
        markdown=args.markdown,
        template=args.template,
        plots=args.plots,
        note=args.note,
    )
    print(f"wrote {shown_path(written)}")


if __name__ == "__main__":
    main()
