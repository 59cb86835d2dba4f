"""The chart's monitoring: a PodMonitor over every workload, alerts that promtool checks
and unit-tests as the chart renders them, runbooks for each alert, and a Grafana
dashboard whose queries read only metrics the processes export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart import (
    NAMESPACE,
    Manifest,
    documents,
    of_kind,
    render,
    template_with_bad_values,
    values_of,
)
from tests.deploy.monitoring import (
    ALERT_TESTS,
    DASHBOARD,
    EXPORTED,
    RUNBOOKS,
    alerts,
    anchors,
    metric_names,
    panel_queries,
    run_promtool,
    substitute,
    write_rule_file,
)

MONITORING_KINDS = ("PodMonitor", "PrometheusRule")
ALL_ON = (
    "--set", "monitoring.podMonitor.enabled=true",
    "--set", "monitoring.rules.enabled=true",
    "--set", "monitoring.dashboard.enabled=true",
)  # fmt: skip
# Every alert and the values block that configures it.
ALERT_VALUES = {
    "EdaDeadLetters": "deadLetters",
    "EdaBacklogGrowing": "backlogGrowing",
    "EdaSubscriberStuck": "subscriberStuck",
    "EdaOutboxRowsOld": "outboxRowsOld",
    "EdaOutboxRelayStalled": "relayStalled",
    "EdaApiErrorRatio": "apiErrorRatio",
    "EdaApiUnavailable": "apiUnavailable",
    "EdaApiLatencyHigh": "apiLatency",
    "EdaComponentDown": "componentDown",
    "EdaComponentRestarting": "componentRestarting",
}


def dashboard_configmaps(manifests: list[Manifest]) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == "ConfigMap" and "eda.json" in m.get("data", {})]


@pytest.mark.parametrize("values_file", ["values.yaml", "values-local.yaml"])
def test_monitoring_renders_nothing_by_default(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    rendered = manifests[values_file]
    assert [m["kind"] for m in rendered if m["kind"] in MONITORING_KINDS] == []
    assert dashboard_configmaps(rendered) == []


def test_staging_renders_a_podmonitor_a_rule_and_the_dashboard(
    manifests: dict[str, list[Manifest]],
) -> None:
    rendered = manifests["values-staging.yaml"]
    for kind in MONITORING_KINDS:
        objects = of_kind(rendered, kind)
        assert list(objects) == ["eda"], kind
        # kube-prometheus-stack's Prometheus selects monitors and rules by this label.
        assert objects["eda"]["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert objects["eda"]["metadata"]["namespace"] == NAMESPACE
    [dashboard] = dashboard_configmaps(rendered)
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["annotations"] == {"k8s-sidecar-target-directory": "EDA"}
    # Embedded from the one JSON file, byte for byte.
    assert dashboard["data"]["eda.json"] == DASHBOARD.read_text().rstrip("\n")


def test_selector_labels_are_values() -> None:
    rendered = documents(
        render(
            "values.yaml", *ALL_ON,
            "--set", "monitoring.labels.release=prom",
            "--set", "monitoring.dashboard.labels.grafana_dashboard=yes",
        )
    )  # fmt: skip
    for kind in MONITORING_KINDS:
        assert of_kind(rendered, kind)["eda"]["metadata"]["labels"]["release"] == "prom"
    [dashboard] = dashboard_configmaps(rendered)
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "yes"


def scraped_port(podmonitor: Manifest, component: str) -> list[str]:
    """The ports a PodMonitor scrapes a pod of this component on (its keep rules)."""
    ports = []
    for endpoint in podmonitor["spec"]["podMetricsEndpoints"]:
        [keep] = [r for r in endpoint["relabelings"] if r["action"] == "keep"]
        assert keep["sourceLabels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_component"]
        if re.fullmatch(keep["regex"], component):
            ports.append(endpoint["port"])
    return ports


@pytest.mark.parametrize(
    "extra",
    [(), ("--set", "components.user-service.metricsPort=null")],
    ids=["metrics-ports", "user-service-without-metrics-port"],
)
def test_podmonitor_scrapes_every_workload_once_on_a_port_it_has(
    extra: tuple[str, ...],
) -> None:
    rendered = documents(render("values-staging.yaml", *extra))
    [podmonitor] = of_kind(rendered, "PodMonitor").values()
    spec = podmonitor["spec"]
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    workloads = [
        m
        for m in rendered
        if m["kind"] == "Deployment" and m["metadata"]["labels"]["eda.dev/tier"] == "app"
    ]
    assert len(workloads) == 2 + 6 + 1  # two APIs, six subscribers, the operator
    for workload in workloads:
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert all(labels[k] == v for k, v in spec["selector"]["matchLabels"].items())
        component = labels["app.kubernetes.io/component"]
        [port] = scraped_port(podmonitor, component)
        pod_ports = {
            p["name"]
            for c in workload["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        assert port in pod_ports, (component, port, pod_ports)
        expected = {"user-service": "http" if extra else "metrics", "order-service": "metrics"}
        assert port == expected.get(component, "metrics" if component == "operator" else "http")
    for endpoint in spec["podMetricsEndpoints"]:
        assert endpoint["path"] == "/metrics"
        assert {
            "sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_component"],
            "targetLabel": "component",
            "action": "replace",
        } in endpoint["relabelings"]


def test_promtool_checks_the_rules_as_rendered(
    manifests: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    variants = {
        "staging": manifests["values-staging.yaml"],
        "defaults": documents(render("values.yaml", "--set", "monitoring.rules.enabled=true")),
        "no-namespace": documents(
            render(
                "values-staging.yaml",
                "--set", "monitoring.rules.matchNamespace=false",
                "--set",
                "monitoring.rules.deadLetters.severityBySubscriber.users\\.order-confirmed=info",
            )
        ),
    }  # fmt: skip
    for variant, rendered in variants.items():
        rules = write_rule_file(rendered, tmp_path / f"{variant}.yaml")
        result = run_promtool("check", "rules", str(rules))
        assert result.returncode == 0, variant + result.stdout + result.stderr
        assert "SUCCESS" in result.stdout


def test_promtool_check_rules_catches_a_broken_expression(
    manifests: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    """The check above would notice a template typo in an expression."""
    rules = write_rule_file(manifests["values-staging.yaml"], tmp_path / "rules.yaml")
    text = rules.read_text()
    assert "max by (namespace, database)" in text
    rules.write_text(text.replace("max by (namespace, database)", "max by (namespace, database", 1))
    result = run_promtool("check", "rules", str(rules))
    assert result.returncode != 0


def alert_tests(rules: Path, tmp_path: Path) -> Path:
    """tests/deploy/prometheus/alerts.test.yaml reading the given rule file."""
    tests = yaml.safe_load(ALERT_TESTS.read_text())
    tests["rule_files"] = [str(rules)]
    path = tmp_path / "alerts.test.yaml"
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    return path


def test_promtool_unit_tests_of_every_alert_pass(
    manifests: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    rules = write_rule_file(manifests["values-staging.yaml"], tmp_path / "rules.yaml")
    result = run_promtool("test", "rules", str(alert_tests(rules, tmp_path)))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_fail_when_an_alert_is_silenced(
    manifests: dict[str, list[Manifest]], tmp_path: Path
) -> None:
    """The unit tests bite: a threshold too high keeps EdaSubscriberStuck silent."""
    rendered = documents(
        render("values-staging.yaml", "--set", "monitoring.rules.subscriberStuck.idleSeconds=3600")
    )
    rules = write_rule_file(rendered, tmp_path / "rules.yaml")
    result = run_promtool("test", "rules", str(alert_tests(rules, tmp_path)))
    assert result.returncode != 0
    assert "alertname: EdaSubscriberStuck" in result.stdout + result.stderr


def test_every_alert_has_a_test_that_fires_it_and_one_that_keeps_it_silent(
    manifests: dict[str, list[Manifest]],
) -> None:
    names = {rule["alert"] for rule in alerts(manifests["values-staging.yaml"])}
    assert names == set(ALERT_VALUES)
    fired: set[str] = set()
    silent: set[str] = set()
    for case in yaml.safe_load(ALERT_TESTS.read_text())["tests"]:
        for check in case["alert_rule_test"]:
            (fired if check.get("exp_alerts") else silent).add(check["alertname"])
    assert fired == names
    assert silent == names


def test_every_alert_has_severity_annotations_and_a_runbook_heading(
    manifests: dict[str, list[Manifest]],
) -> None:
    base = values_of("values-staging.yaml")["monitoring"]["rules"]["runbookBaseUrl"]
    headings = anchors(RUNBOOKS.read_text())
    for rule in alerts(manifests["values-staging.yaml"]):
        name = rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, name
        annotations = rule["annotations"]
        assert "$labels." in annotations["summary"], name
        assert "$labels." in annotations["description"], name
        assert annotations["runbook_url"] == f"{base}#{name.lower()}"
        assert name.lower() in headings, f"docs/runbooks.md has no heading `## {name}`"


def test_every_for_and_threshold_is_a_value() -> None:
    settings = []
    for index, key in enumerate(ALERT_VALUES.values(), start=1):
        settings += ["--set", f"monitoring.rules.{key}.for={index}s"]
    # value key, its value, the alert and what its expression then holds
    thresholds = [
        ("deadLetters.window", "17m", "EdaDeadLetters", "[17m]"),
        ("backlogGrowing.minBacklog", 4242, "EdaBacklogGrowing", "> 4242"),
        ("subscriberStuck.idleSeconds", 4343, "EdaSubscriberStuck", "> 4343"),
        ("outboxRowsOld.ageSeconds", 4444, "EdaOutboxRowsOld", "> 4444"),
        ("relayStalled.idleSeconds", 4545, "EdaOutboxRelayStalled", "> 4545"),
        ("apiErrorRatio.ratio", 0.4646, "EdaApiErrorRatio", "> 0.4646"),
        ("apiUnavailable.perSecond", 4747, "EdaApiUnavailable", "> 4747"),
        ("apiLatency.p99Seconds", 4848, "EdaApiLatencyHigh", "> 4848"),
        ("componentRestarting.restarts", 4949, "EdaComponentRestarting", "> 4949"),
    ]
    for key, value, _, _ in thresholds:
        settings += ["--set-json", f"monitoring.rules.{key}={json.dumps(value)}"]
    rendered = documents(render("values.yaml", "--set", "monitoring.rules.enabled=true", *settings))
    rules = alerts(rendered)
    for index, name in enumerate(ALERT_VALUES, start=1):
        assert {rule["for"] for rule in rules if rule["alert"] == name} == {f"{index}s"}, name
    for _, _, name, fragment in thresholds:
        [rule] = [rule for rule in rules if rule["alert"] == name]
        assert fragment in rule["expr"], (name, rule["expr"])


def test_dead_letter_severity_follows_the_subscriber_map(
    manifests: dict[str, list[Manifest]],
) -> None:
    rules = [r for r in alerts(manifests["values-staging.yaml"]) if r["alert"] == "EdaDeadLetters"]
    by_severity = {r["labels"]["severity"]: r["expr"] for r in rules}
    assert set(by_severity) == {"critical", "warning"}
    assert 'subscriber="orders.order-placed"' in by_severity["critical"]
    # The rest excludes exactly that subscriber (the dot matched literally).
    assert 'subscriber!~"orders\\\\.order-placed"' in by_severity["warning"]


def test_dashboard_uses_a_datasource_variable() -> None:
    board = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for panel in board["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}", panel["title"]


def test_dashboard_queries_read_only_exported_metrics() -> None:
    queries = panel_queries()
    read = set()
    for query in queries:
        names = metric_names(query.expr)
        assert names, query
        assert names <= EXPORTED, (query.panel, names - EXPORTED)
        read |= names
    # The panels the operations guide promises.
    assert read >= {
        "eda_events_published_total",
        "eda_events_consumed_total",
        "eda_kafka_consumer_lag",
        "eda_rabbitmq_queue_depth",
        "eda_outbox_backlog",
        "eda_outbox_oldest_age_seconds",
        "eda_events_dead_lettered_total",
        "eda_events_retried_total",
        "eda_handler_duration_seconds_bucket",
        "http_server_request_duration_seconds_count",
        "http_server_request_duration_seconds_bucket",
    }


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Each panel query, its Grafana variables substituted, parses (as a recording rule)."""
    rules = [
        {"record": f"eda:dashboard_query_{i}", "expr": substitute(query.expr)}
        for i, query in enumerate(panel_queries())
    ]
    path = tmp_path / "panels.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = run_promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def dig_links(panel: dict[str, Any]) -> list[dict[str, str]]:
    links: list[dict[str, str]] = panel.get("fieldConfig", {}).get("defaults", {}).get("links", [])
    return links


def test_latency_panel_links_to_traces() -> None:
    board = json.loads(DASHBOARD.read_text())
    linked = [
        panel
        for panel in board["panels"]
        if any("${jaeger_url}" in link["url"] for link in dig_links(panel))
    ]
    assert linked
    for panel in linked:
        assert all(target.get("exemplar") for target in panel["targets"]), panel["title"]
        assert all(
            "http_server_request_duration_seconds_bucket" in metric_names(t["expr"])
            for t in panel["targets"]
        )


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (event_type) (rate(eda_events_published_total{broker="kafka"}[$__rate_interval]))',
         {"eda_events_published_total"}),
        ("histogram_quantile(0.99, sum by (le) (rate(eda_handler_duration_seconds_bucket[5m])))",
         {"eda_handler_duration_seconds_bucket"}),
        ("eda_outbox_backlog offset 5m or eda_outbox_backlogg",
         {"eda_outbox_backlog", "eda_outbox_backlogg"}),
        ('up{job="x"} == 0 and on (pod) kube_pod_info', {"up", "kube_pod_info"}),
    ],
)  # fmt: skip
def test_metric_names_finds_every_selected_metric(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


@pytest.mark.parametrize(
    ("bad_values", "message"),
    [
        ("monitoring:\n  rules:\n    apiErrorRatio:\n      ratio: 5\n", "ratio"),
        ("monitoring:\n  rules:\n    componentDown:\n      severity: page\n", "severity"),
        ("monitoring:\n  rules:\n    backlogGrowing:\n      for: 15 minutes\n", "for"),
        ("monitoring:\n  rules:\n    runbookBaseUrl: docs/runbooks.md\n", "runbookBaseUrl"),
        ("monitoring:\n  podMonitor:\n    intervall: 30s\n", "intervall"),
    ],
)  # fmt: skip
def test_schema_refuses_bad_monitoring_values(
    bad_values: str, message: str, tmp_path: Path
) -> None:
    result = template_with_bad_values(bad_values, tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
