"""The chart's monitoring objects as data: the rule groups of its PrometheusRule, the
queries of its Grafana dashboard, the metric names a query reads, and promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.chart import CHART, Manifest

DASHBOARD = CHART / "dashboards" / "eda.json"
RUNBOOKS = CHART.parents[2] / "docs" / "runbooks.md"
# promtool's unit tests of every alert, fed with the rule groups the chart renders.
ALERT_TESTS = Path(__file__).parent / "prometheus" / "alerts.test.yaml"

# What the processes export (prometheus_client; histograms add _bucket, _count, _sum).
COUNTERS = frozenset(
    {
        "eda_events_published_total",
        "eda_events_consumed_total",
        "eda_events_retried_total",
        "eda_events_dead_lettered_total",
        "eda_events_duplicates_total",
    }
)
GAUGES = frozenset(
    {
        "eda_outbox_backlog",
        "eda_outbox_oldest_age_seconds",
        "eda_outbox_relay_idle_seconds",
        "eda_kafka_consumer_lag",
        "eda_rabbitmq_queue_depth",
        "eda_subscriber_idle_seconds",
        "eda_subscriber_backlog",
        "eda_build_info",
    }
)
HISTOGRAMS = frozenset({"eda_handler_duration_seconds", "http_server_request_duration_seconds"})
EXPORTED = (
    COUNTERS
    | GAUGES
    | {f"{name}{suffix}" for name in HISTOGRAMS for suffix in ("_bucket", "_count", "_sum")}
)

# PromQL words that are not metric names: aggregations, keywords and modifiers.
_KEYWORDS = frozenset(
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
        "group_right", "offset", "bool", "sum", "min", "max", "avg", "count", "topk",
        "bottomk", "quantile", "stddev", "stdvar", "count_values", "group", "inf", "nan",
    }
)  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_BRACES = re.compile(r"\{[^}]*\}")
_BRACKETS = re.compile(r"\[[^\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression (Grafana variables allowed) selects."""
    text = _STRING.sub('""', expr)
    text = _GROUPING.sub(" ", text)
    text = _BRACES.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = re.sub(r"\boffset\s+\S+", " ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in _KEYWORDS:
            continue
        names.add(word)
    return names


@dataclass(frozen=True)
class PanelQuery:
    panel: str
    ref_id: str
    expr: str
    instant: bool


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def panel_queries(dashboard: dict[str, Any] | None = None) -> list[PanelQuery]:
    """The PromQL of every dashboard panel target (the chart's dashboard by default).

    The queries keep Grafana's variables ($namespace, $__rate_interval): substitute()
    turns them into plain PromQL for a Prometheus."""
    board = json.loads(DASHBOARD.read_text()) if dashboard is None else dashboard
    return [
        PanelQuery(panel["title"], target["refId"], target["expr"], bool(target.get("instant")))
        for panel in panels(board)
        for target in panel.get("targets", [])
        if target.get("expr")
    ]


def substitute(expr: str, rate_interval: str = "1m", namespace: str = ".*") -> str:
    """A panel query with Grafana's variables replaced, ready for /api/v1/query."""
    return (
        expr.replace("$__rate_interval", rate_interval)
        .replace("$__range", rate_interval)
        .replace("$namespace", namespace)
    )


def rule_groups(manifests: list[Manifest]) -> list[dict[str, Any]]:
    """The spec.groups of the chart's PrometheusRule: what a Prometheus loads."""
    rules = [m for m in manifests if m["kind"] == "PrometheusRule"]
    assert len(rules) == 1, f"expected one PrometheusRule, found {len(rules)}"
    groups: list[dict[str, Any]] = rules[0]["spec"]["groups"]
    return groups


def alerts(manifests: list[Manifest]) -> list[dict[str, Any]]:
    return [rule for group in rule_groups(manifests) for rule in group["rules"] if "alert" in rule]


def write_rule_file(manifests: list[Manifest], path: Path) -> Path:
    """The rule groups as a Prometheus rule file (`rule_files:`)."""
    path.write_text(yaml.safe_dump({"groups": rule_groups(manifests)}, sort_keys=False))
    return path


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: `make servers` installs Debian's prometheus package"
    return found


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [promtool(), *args], capture_output=True, text=True, check=False, cwd=cwd, timeout=120
    )


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings (lower case, punctuation dropped,
    spaces as hyphens)."""
    found = set()
    for line in markdown.splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if heading:
            text = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            found.add(text.replace(" ", "-"))
    return found
