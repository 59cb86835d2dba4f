"""The benchmark report: figures in, Markdown tables with targets and verdicts and PNG
plots out. No servers: the figures are written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.figure import Figure
from tests.bench.reporting import TEMPLATE, write_report
from tests.bench.reporting.figures import group_of, parse_figures, value_of
from tests.bench.reporting.machine import Machine
from tests.bench.reporting.markdown import Report, group_table, render, summary
from tests.bench.reporting.plots import PLOTS, flow_points
from tests.bench.reporting.run import GroupRun, LoadSummary, RunInfo
from tests.bench.reporting.targets import On, Target, target_for

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _line(
    name: str, value: float, unit: str, baseline: str | None = None, base: float | None = None
) -> str:
    return Figure(name, value, unit, baseline, base).as_json()


FIGURE_LINES = [
    _line("kafka.publish.shared", 18269, "messages/s", "kafka.publish.aiokafka", 13690),
    _line("kafka.consume.shared", 10425, "messages/s", "kafka.consume.aiokafka", 18396),
    _line("kafka.consume.shared", 10425, "messages/s", "kafka.consume.faststream", 5773),
    _line("rabbitmq.publish.shared", 3740, "messages/s", "rabbitmq.publish.aio-pika", 3626),
    _line("rabbitmq.consume.shared", 3970, "messages/s", "rabbitmq.consume.aio-pika", 3888),
    _line("rabbitmq.consume.shared", 3970, "messages/s", "rabbitmq.consume.faststream", 2180),
    _line(
        "tracing.kafka.publish.shared.on",
        17000,
        "messages/s",
        "tracing.kafka.publish.shared.off",
        18000,
    ),
    _line(
        "kafka.subscriber.order-confirmed.batched",
        4288,
        "events/s",
        "kafka.subscriber.order-confirmed.per-message",
        494,
    ),
    _line(
        "kafka.subscriber.order-confirmed.processes.2",
        7000,
        "events/s",
        "kafka.subscriber.order-confirmed.processes.1",
        4300,
    ),
    _line(
        "rabbitmq.subscriber.order-confirmed.processes.2",
        4100,
        "events/s",
        "rabbitmq.subscriber.order-confirmed.processes.1",
        2600,
    ),
    _line("outbox.relay.kafka.1", 8280, "events/s"),
    _line("outbox.relay.kafka.2", 11454, "events/s", "outbox.relay.kafka.1", 8280),
    _line("outbox.relay.kafka.duplicates", 0, "messages"),
    _line("outbox.relay.rabbitmq.2", 4082, "events/s", "outbox.relay.rabbitmq.1", 3486),
    _line("outbox.latency.kafka.p99", 30.1, "ms"),
    _line("api.orders.open200.p99", 8.7, "ms"),
    *(
        _line(f"flow.post_to_stats.kafka.{rate}_per_s.p{p}", ms, "ms")
        for rate, values in ((50, (20.0, 30.0, 45.0)), (100, (22, 35, 60)), (200, (25, 50, 120)))
        for p, ms in zip((50, 90, 99), values, strict=True)
    ),
    _line("flow.post_to_stats.kafka.highest_rate_with_p99_under_1s", 400, "orders/s"),
    *(
        _line(f"system.kafka.{rate}_per_s.{process}.cpu_per_order", ms, "ms")
        for rate, scale in ((100, 1.0), (200, 0.7))
        for process, ms in (
            ("mariadb", 2.0 * scale),
            ("kafka", 1.2 * scale),
            ("order-service", 1.0),
        )
    ),
    _line("system.kafka.100_per_s.cpu_per_order", 4.2, "ms"),
    _line("system.kafka.idle.cores", 0.08, "cores"),
    "",
]

MACHINE = Machine(
    cpu_model="Test CPU",
    cpu_count=2,
    virtual=True,
    memory_gib=23.5,
    os="Debian GNU/Linux 12 (bookworm)",
    kernel="6.1.0",
    python="CPython 3.11.7",
    libraries={"aiokafka": "0.14.0"},
    servers={"Tansu": "0.6.0 (in-memory)", "RabbitMQ": "3.10.8", "MariaDB": "10.11"},
)
RUN = RunInfo(
    started_at="2026-11-26T10:00:00+00:00",
    seconds=840.0,
    groups=[GroupRun("messaging", 210.0), GroupRun("flow", 150.0, failed=True)],
    load=LoadSummary(samples=84, min=0.3, median=0.6, max=1.9),
    machine=MACHINE,
)


@pytest.fixture
def figures() -> list[Figure]:
    return parse_figures(FIGURE_LINES)


def _rows(table: str) -> dict[str, list[str]]:
    """Table rows by their first two cells (name and baseline) joined."""
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[f"{cells[0]} {cells[3]}".strip()] = cells
    return rows


def test_figures_read_back_as_written(figures: list[Figure]) -> None:
    first = figures[0]
    assert (first.name, first.value, first.baseline_name, first.baseline_value) == (
        "kafka.publish.shared",
        18269.0,
        "kafka.publish.aiokafka",
        13690.0,
    )
    assert first.ratio == pytest.approx(1.3345, abs=1e-3)
    assert value_of(figures, "kafka.consume.faststream") == 5773.0  # only ever a baseline
    assert [group_of(f.name) for f in figures[:9:4]] == ["messaging", "messaging", "subscriber"]


def test_a_table_shows_value_baseline_ratio_target_and_verdict(figures: list[Figure]) -> None:
    rows = _rows(group_table(figures, "messaging"))
    assert rows["`kafka.consume.shared` `kafka.consume.faststream`"] == [
        "`kafka.consume.shared`",
        "10,425",
        "messages/s",
        "`kafka.consume.faststream`",
        "5,773",
        "1.81",
        "ratio ≥ 2",
        "**no**",
    ]
    publish = rows["`kafka.publish.shared` `kafka.publish.aiokafka`"]
    assert publish[5:] == ["1.33", "ratio ≥ 0.9", "yes"]


def test_value_targets_and_figures_without_one(figures: list[Figure]) -> None:
    outbox = _rows(group_table(figures, "outbox"))
    assert outbox["`outbox.relay.kafka.1`"][6:] == ["≥ 20,000", "**no**"]
    assert outbox["`outbox.relay.kafka.duplicates`"][6:] == ["= 0", "yes"]
    assert outbox["`outbox.latency.kafka.p99`"][1:3] == ["30.1", "ms"]
    assert outbox["`outbox.latency.kafka.p99`"][6:] == ["< 30", "**no**"]
    flow = _rows(group_table(figures, "flow"))
    assert flow["`flow.post_to_stats.kafka.200_per_s.p99`"][6:] == ["< 100", "**no**"]
    assert flow["`flow.post_to_stats.kafka.50_per_s.p99`"][6:] == ["", ""]


def test_a_group_the_run_did_not_measure_says_so(figures: list[Figure]) -> None:
    assert "Not measured in this run" in group_table(figures[:2], "api")
    assert "python -m tests.bench api" in group_table(figures[:2], "api")


def test_targets_judge_values_and_ratios() -> None:
    ratio = Target("a", ">=", 1.3, On.RATIO, "b")
    assert ratio.met(Figure("a", 13, "x", "b", 10)) is True
    assert ratio.met(Figure("a", 12, "x", "b", 10)) is False
    assert ratio.met(Figure("a", 12, "x")) is None
    assert Target("p99", "<", 30).met(Figure("p99", 30.0, "ms")) is False
    assert target_for(Figure("kafka.consume.shared", 1, "x", "kafka.consume.aiokafka", 1)) == (
        Target("kafka.consume.shared", ">=", 0.8, On.RATIO, "kafka.consume.aiokafka")
    )


def test_summary_counts_met_and_lists_misses(figures: list[Figure]) -> None:
    text = summary(figures)
    judged = [f for f in figures if target_for(f) is not None]
    missed = [f for f in judged if target_for(f).met(f) is False]  # type: ignore[union-attr]
    assert f"**{len(judged) - len(missed)} of {len(judged)} targets met**" in text
    assert (
        "- `kafka.consume.shared` vs `kafka.consume.faststream`: ratio 1.81, target ratio ≥ 2"
        in text
    )
    assert "- `outbox.relay.kafka.1`: 8,280 events/s, target ≥ 20,000" in text
    # targets of the groups measured that lack their figure; groups not measured are not listed
    assert " `rabbitmq.subscriber.order-confirmed.batched`, " in text
    assert "`api.orders.errors`" in text
    assert "`api.orders.errors`" not in summary(figures[:2])


def test_flow_names_give_rate_and_percentile(figures: list[Figure]) -> None:
    points = flow_points(figures)
    assert points["kafka"]["99"] == {50: 45.0, 100: 60.0, 200: 120.0}
    assert "rabbitmq" not in points


@pytest.mark.slow
def test_the_report_has_plots_tables_machine_and_run(figures: list[Figure], tmp_path: Path) -> None:
    markdown = tmp_path / "docs" / "benchmarks.md"
    plots = tmp_path / "docs" / "benchmarks"
    written = write_report(
        figures, RUN, source=".bench/figures.jsonl", markdown=markdown, plots=plots, note="Test."
    )
    text = written.read_text()
    for plot in PLOTS:
        png = plots / plot.filename
        assert png.read_bytes().startswith(PNG_SIGNATURE), plot.filename
        assert png.stat().st_size > 5_000
        assert f"]({'benchmarks/' + plot.filename})" in text
    assert "Generated by" in text
    assert "<!-- bench:" not in text
    assert "Test CPU, 2 cores (virtual machine)" in text
    assert "RabbitMQ 3.10.8" in text
    assert "**failed**: `flow`" in text
    assert "median 0.6 (from 0.3 to 1.9, 84 samples)" in text
    assert "| `kafka.consume.shared` | 10,425 |" in text
    assert "> **Test.**" in text


def test_a_plot_without_figures_is_neither_drawn_nor_linked(tmp_path: Path) -> None:
    stale = tmp_path / "plots" / "flow-latency.png"
    stale.parent.mkdir()
    stale.write_bytes(b"an older run's plot")
    only_api = parse_figures([_line("api.orders.open200.p99", 8.7, "ms")])
    written = write_report(
        only_api, None, source="f.jsonl", markdown=tmp_path / "b.md", plots=stale.parent
    )
    assert list(stale.parent.iterdir()) == []
    text = written.read_text()
    assert ".png)" not in text
    assert "_Not measured in this run: `python -m tests.bench flow` measures it._" in text
    assert "not recorded" in text


def test_the_template_names_only_known_parts(figures: list[Figure], tmp_path: Path) -> None:
    report = Report(figures, RUN, {}, tmp_path / "b.md", "f.jsonl")
    with pytest.raises(ValueError, match="unknown marker"):
        render("<!-- bench:table nonsense -->\n", report)
    with pytest.raises(ValueError, match="no table for: messaging"):
        render("<!-- bench:table flow -->\n", report)
    assert "<!-- bench:" not in render(TEMPLATE.read_text(), report)


def test_run_details_survive_a_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    RUN.save(path)
    assert RunInfo.load_from(path) == RUN
    assert json.loads(path.read_text())["machine"]["cpu_count"] == 2
