"""The report's plots as PNG files, drawn with matplotlib's Agg canvas (no display, no pyplot).

Each plot function takes a run's figures and a path, draws what the run measured and
returns False, writing nothing, when the run has none of its figures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as Chart
from matplotlib.ticker import FuncFormatter

from tests.bench.figure import Figure
from tests.bench.reporting.figures import format_number, value_of

BROKERS = (("kafka", "Kafka"), ("rabbitmq", "RabbitMQ"))
RAW_CLIENT = {"kafka": "aiokafka", "rabbitmq": "aio-pika"}
COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")
TARGET_COLOUR = "#555555"
DPI = 100

Series = dict[str, list[float | None]]
_THOUSANDS = FuncFormatter(lambda value, _: format_number(value))


def _legend_below(chart: Chart, axes: Axes) -> None:
    """One legend for the whole chart, under the plots where it hides no bar."""
    handles, labels = axes.get_legend_handles_labels()
    chart.legend(handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8)


def _chart(columns: int = 1, width: float = 8.0, height: float = 3.8) -> tuple[Chart, list[Axes]]:
    chart = Chart(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(chart)
    axes = chart.subplots(1, columns, squeeze=False)[0]
    return chart, list(axes)


def _bars(axes: Axes, categories: Sequence[str], series: Series, unit: str) -> None:
    """Bars side by side per category, each labelled with its value; missing ones left out."""
    count = len(series)
    width = 0.8 / count
    for index, (label, values) in enumerate(series.items()):
        offset = (index - (count - 1) / 2) * width
        xs = [position + offset for position, value in enumerate(values) if value is not None]
        heights = [value for value in values if value is not None]
        if not heights:
            continue
        bars = axes.bar(xs, heights, width, label=label, color=COLOURS[index % len(COLOURS)])
        axes.bar_label(bars, labels=[format_number(h) for h in heights], fontsize=7, padding=2)
    axes.set_xticks(range(len(categories)), list(categories))
    axes.set_ylabel(unit)
    axes.yaxis.set_major_formatter(_THOUSANDS)
    axes.margins(y=0.15)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)


def _target_marks(axes: Axes, bounds: Sequence[float | None], label: str, series: int) -> None:
    """A dashed line at each category's target, over the first of its ``series`` bars (the
    one the target is for)."""
    width = 0.8 / series
    labelled = False
    for position, bound in enumerate(bounds):
        if bound is None:
            continue
        left = position - 0.4
        axes.hlines(
            bound,
            left,
            left + width,
            colors=TARGET_COLOUR,
            linestyles="dashed",
            linewidth=1.2,
            label="_nolegend_" if labelled else label,
        )
        labelled = True


def _bar_chart(
    path: Path,
    categories: Sequence[str],
    series: Series,
    unit: str,
    title: str,
    *,
    targets: tuple[Sequence[float | None], str] | None = None,
) -> bool:
    """One panel of ``_bars``, with ``targets`` (bounds, label) marked; False (and no
    file) without any value."""
    if not _any(series):
        return False
    chart, (ax,) = _chart(width=7.0)
    _bars(ax, categories, series, unit)
    if targets is not None:
        _target_marks(ax, *targets, len(series))
    _legend_below(chart, ax)
    ax.set_title(title, fontsize=10)
    _save(chart, path)
    return True


def _any(series: Series) -> bool:
    return any(value is not None for values in series.values() for value in values)


def _save(chart: Chart, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    chart.savefig(path, format="png")


def messaging_throughput(figures: Sequence[Figure], path: Path) -> bool:
    """Shared vs the raw client vs FastStream, publishing and consuming, per broker."""
    per_broker = []
    for broker, title in BROKERS:
        raw = RAW_CLIENT[broker]
        series: Series = {
            "shared": [
                value_of(figures, f"{broker}.publish.shared"),
                value_of(figures, f"{broker}.consume.shared"),
            ],
            "raw client": [
                value_of(figures, f"{broker}.publish.{raw}"),
                value_of(figures, f"{broker}.consume.{raw}"),
            ],
            "FastStream": [None, value_of(figures, f"{broker}.consume.faststream")],
        }
        per_broker.append((f"{title} (raw client: {raw})", series))
    if not any(_any(series) for _, series in per_broker):
        return False
    chart, axes = _chart(columns=2, width=10.0)
    for ax, (title, series) in zip(axes, per_broker, strict=True):
        _bars(ax, ["publish", "consume"], series, "messages/s")
        ax.set_title(title, fontsize=10)
    _legend_below(chart, axes[0])
    chart.suptitle("Messaging throughput: shared vs raw clients vs FastStream, same run")
    _save(chart, path)
    return True


def tracing_cost(figures: Sequence[Figure], path: Path) -> bool:
    """Throughput with tracing off and on."""
    contestants = (
        ("publish\n(shared)", "tracing.kafka.publish.shared"),
        ("consume\n(shared)", "tracing.kafka.consume.shared"),
        ("consume\n(FastStream)", "tracing.kafka.consume.faststream"),
    )
    series: Series = {
        "tracing off": [value_of(figures, f"{name}.off") for _, name in contestants],
        "tracing on": [value_of(figures, f"{name}.on") for _, name in contestants],
    }
    return _bar_chart(
        path,
        [label for label, _ in contestants],
        series,
        "messages/s",
        "Kafka throughput with tracing off and on",
    )


def subscriber_processes(figures: Sequence[Figure], path: Path) -> bool:
    """The real order.confirmed handler, batched: one subscriber process against two."""
    prefix = "subscriber.order-confirmed.processes"
    series: Series = {
        "1 process": [value_of(figures, f"{broker}.{prefix}.1") for broker, _ in BROKERS],
        "2 processes": [value_of(figures, f"{broker}.{prefix}.2") for broker, _ in BROKERS],
    }
    return _bar_chart(
        path,
        [title for _, title in BROKERS],
        series,
        "events/s",
        "Subscriber with the idempotent MySQL handler: 1 vs 2 processes",
        targets=([10_000, 4_000], "target, one subscriber"),
    )


def outbox_relay(figures: Sequence[Figure], path: Path) -> bool:
    """Relay throughput draining a backlog with one and with two relay processes."""
    series: Series = {
        "1 relay": [value_of(figures, f"outbox.relay.{broker}.1") for broker, _ in BROKERS],
        "2 relays": [value_of(figures, f"outbox.relay.{broker}.2") for broker, _ in BROKERS],
    }
    return _bar_chart(
        path,
        [title for _, title in BROKERS],
        series,
        "events/s",
        "Outbox relay throughput: 1 vs 2 relays",
        targets=([20_000, None], "target, one relay"),
    )


_FLOW = re.compile(r"^flow\.post_to_stats\.(?P<broker>\w+)\.(?P<rate>\d+)_per_s\.p(?P<p>\d+)$")
PERCENTILES = ("50", "90", "99")
FLOW_TARGET = (200, 100.0)
"""p99 under 100 ms at 200 orders/s."""


def flow_points(figures: Sequence[Figure]) -> dict[str, dict[str, dict[int, float]]]:
    """broker → percentile → offered rate → ms."""
    return _by_broker_and_rate(figures, _FLOW, lambda match: match["p"])


def _by_broker_and_rate(
    figures: Sequence[Figure], pattern: re.Pattern[str], series: Callable[[re.Match[str]], str]
) -> dict[str, dict[str, dict[int, float]]]:
    """broker → series → offered rate → value, of the figures whose names ``pattern``
    matches (with groups ``broker`` and ``rate``)."""
    points: dict[str, dict[str, dict[int, float]]] = {}
    for figure in figures:
        match = pattern.match(figure.name)
        if match is not None:
            by_series = points.setdefault(match["broker"], {})
            by_series.setdefault(series(match), {})[int(match["rate"])] = figure.value
    return points


def _brokers_in(points: dict[str, Any]) -> list[tuple[str, str]]:
    """(broker, panel title) of the brokers with points, in the usual order."""
    return [(broker, title) for broker, title in BROKERS if broker in points]


def flow_latency(figures: Sequence[Figure], path: Path) -> bool:
    """End-to-end latency percentiles against the offered load, per broker."""
    points = flow_points(figures)
    brokers = _brokers_in(points)
    if not brokers:
        return False
    chart, axes = _chart(columns=len(brokers), width=5.0 * len(brokers) + 1.0)
    for ax, (broker, title) in zip(axes, brokers, strict=True):
        rates: set[int] = set()
        for index, percentile in enumerate(PERCENTILES):
            by_rate = points[broker].get(percentile, {})
            if not by_rate:
                continue
            xs = sorted(by_rate)
            rates.update(xs)
            ax.plot(
                xs,
                [by_rate[x] for x in xs],
                marker="o",
                label=f"p{percentile}",
                color=COLOURS[index],
            )
        rate, bound = FLOW_TARGET
        ax.plot([rate], [bound], marker="x", color=TARGET_COLOUR, linestyle="none", markersize=9)
        ax.axhline(bound, color=TARGET_COLOUR, linestyle="dashed", linewidth=1, label="target p99")
        ax.set_xticks(sorted(rates | {rate}))
        ax.set_xlabel("offered load (orders/s)")
        ax.set_ylabel("POST response → stats (ms)")
        ax.set_yscale("log")  # from tens of milliseconds to seconds once a step overloads
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.grid(alpha=0.3)
        ax.set_title(title, fontsize=10)
    _legend_below(chart, axes[0])
    chart.suptitle("End-to-end latency percentiles vs offered load")
    _save(chart, path)
    return True


_SYSTEM_CPU = re.compile(
    r"^system\.(?P<broker>\w+)\.(?P<rate>\d+)_per_s\.(?P<process>[\w-]+)\.cpu_per_order$"
)
SYSTEM_CPU_TARGET = 6.0
"""All processes summed, at 100 orders/s."""
_PROCESS_COLOURS = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
    "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
)  # fmt: skip


BROKER_PROCESS = "broker"
"""Tansu on Kafka, RabbitMQ on RabbitMQ: one colour and one legend entry for both."""


def system_points(figures: Sequence[Figure]) -> dict[str, dict[str, dict[int, float]]]:
    """broker → process → offered rate → ms of CPU per order."""
    return _by_broker_and_rate(figures, _SYSTEM_CPU, _process_of)


def _process_of(match: re.Match[str]) -> str:
    process = match["process"]
    return BROKER_PROCESS if process == match["broker"] else process


def system_cpu(figures: Sequence[Figure], path: Path) -> bool:
    """CPU per order of each process, stacked, against the offered rate, per broker."""
    points = system_points(figures)
    brokers = _brokers_in(points)
    if not brokers:
        return False
    chart, axes = _chart(columns=len(brokers), width=5.5 * len(brokers) + 1.0, height=4.4)
    # One colour per process on every panel; the costliest at the bottom, where its
    # share is easiest to read.
    totals: dict[str, float] = {}
    for by_process in points.values():
        for process, by_rate in by_process.items():
            totals[process] = totals.get(process, 0.0) + sum(by_rate.values())
    order = sorted(totals, key=lambda name: -totals[name])
    legend: dict[str, Any] = {}
    for ax, (broker, title) in zip(axes, brokers, strict=True):
        by_process = points[broker]
        rates = sorted({rate for by_rate in by_process.values() for rate in by_rate})
        labels = [str(rate) for rate in rates]
        bottom = [0.0] * len(rates)
        for index, process in enumerate(order):
            if process not in by_process:
                continue
            heights = [by_process[process].get(rate, 0.0) for rate in rates]
            colour = _PROCESS_COLOURS[index % len(_PROCESS_COLOURS)]
            legend[process] = ax.bar(labels, heights, bottom=bottom, label=process, color=colour)
            bottom = [low + high for low, high in zip(bottom, heights, strict=True)]
        ax.axhline(
            SYSTEM_CPU_TARGET,
            color=TARGET_COLOUR,
            linestyle="dashed",
            linewidth=1,
            label="target at 100/s",
        )
        ax.set_xlabel("offered load (orders/s)")
        ax.set_ylabel("CPU per order, all processes (ms)")
        ax.grid(alpha=0.3, axis="y")
        ax.set_title(title, fontsize=10)
    target = axes[0].get_legend_handles_labels()[0][0]
    names = ["target at 100/s", *legend]
    chart.legend([target, *legend.values()], names, loc="outside lower center", ncols=6, fontsize=7)
    chart.suptitle("CPU per order by process vs offered load (make run on one machine)")
    _save(chart, path)
    return True


@dataclass(frozen=True, slots=True)
class Plot:
    key: str
    filename: str
    alt: str
    draw: Callable[[Sequence[Figure], Path], bool]


PLOTS: tuple[Plot, ...] = (
    Plot(
        "messaging",
        "messaging-throughput.png",
        "Throughput of the shared publisher and subscriber against the raw clients and FastStream",
        messaging_throughput,
    ),
    Plot("tracing", "tracing-cost.png", "Kafka throughput with tracing off and on", tracing_cost),
    Plot(
        "subscriber",
        "subscriber-processes.png",
        "Subscriber throughput with the idempotent MySQL handler, one and two processes",
        subscriber_processes,
    ),
    Plot("relay", "outbox-relay.png", "Outbox relay throughput, one and two relays", outbox_relay),
    Plot(
        "flow",
        "flow-latency.png",
        "End-to-end latency percentiles at several offered loads",
        flow_latency,
    ),
    Plot(
        "system",
        "system-cpu-per-order.png",
        "CPU per order of each process of the system at several offered loads",
        system_cpu,
    ),
)


def draw_all(figures: Sequence[Figure], directory: Path) -> dict[str, Path]:
    """Every plot the figures allow, by key; a plot the run cannot draw leaves no file."""
    drawn: dict[str, Path] = {}
    for plot in PLOTS:
        path = directory / plot.filename
        if plot.draw(figures, path):
            drawn[plot.key] = path
        else:
            path.unlink(missing_ok=True)  # not an older run's plot beside this run's report
    return drawn
