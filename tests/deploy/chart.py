"""Rendering the chart with the helm that `make tools` installs, and reading the result."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
HELM = REPO / ".tools" / "bin" / "helm"
CHART = REPO / "deploy" / "helm" / "eda"
GOLDEN = REPO / "deploy" / "helm" / "golden"
RELEASE = "eda"
NAMESPACE = "eda"
# Every values file a test renders: the chart's defaults alone, then each environment.
VALUES_FILES = ("values.yaml", "values-local.yaml", "values-staging.yaml")

Manifest = dict[str, Any]
# Kinds of custom resources kubernetes-validate has no schema for: the chart's CRD and
# the Prometheus operator's (checked by test_monitoring.py and promtool instead).
CUSTOM_KINDS = ("SubscriberScaler", "PodMonitor", "PrometheusRule")


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    assert HELM.exists(), f"{HELM} is missing: run `make tools`"
    return subprocess.run([str(HELM), *args], capture_output=True, text=True, check=False)


def kubernetes_validate(rendered: str) -> subprocess.CompletedProcess[str]:
    """Strict kubernetes-validate of rendered objects against Kubernetes 1.30."""
    return subprocess.run(
        [str(REPO / ".venv/bin/kubernetes-validate"), "--strict", "-k", "1.30.0", "-"],
        input=rendered,
        capture_output=True,
        text=True,
        check=False,
    )


def validation_problems(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The errors and warnings of a validation, but those about CUSTOM_KINDS."""
    return [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.startswith(("ERROR", "WARN")) and not any(kind in line for kind in CUSTOM_KINDS)
    ]


def values_args(values_file: str) -> list[str]:
    # values.yaml is always read; naming it again changes nothing.
    return [] if values_file == "values.yaml" else ["--values", str(CHART / values_file)]


def render(values_file: str, *extra: str) -> str:
    result = helm(
        "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
        *values_args(values_file), *extra,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def bad_values_file(text: str, folder: Path) -> Path:
    values = folder / "bad.yaml"
    values.write_text(text)
    return values


def template_with_bad_values(text: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """helm template over the defaults and values the chart ought to refuse."""
    return helm("template", "eda", str(CHART), "--values", str(bad_values_file(text, folder)))


def documents(rendered: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(rendered) if doc]


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod_templates(manifests: list[Manifest]) -> Iterator[tuple[Manifest, Manifest]]:
    """(workload, pod template spec) for every Deployment, StatefulSet and Job."""
    for manifest in manifests:
        if manifest["kind"] in {"Deployment", "StatefulSet", "Job"}:
            yield manifest, manifest["spec"]["template"]


def name(workload: str) -> str:
    return f"{RELEASE}-{workload}"


def masked(manifests: list[Manifest]) -> list[Manifest]:
    """Secret values replaced: a password left empty in values is random at every render."""
    for manifest in manifests:
        if manifest["kind"] == "Secret":
            data = manifest.get("stringData", {})
            manifest["stringData"] = dict.fromkeys(data, "<masked>")
    return manifests


def coalesced(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of a values file onto the chart's values.yaml."""
    result = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = coalesced(base[key], value)
        else:
            result[key] = value
    return result


def values_of(values_file: str) -> dict[str, Any]:
    """The values a render with this values file sees."""
    defaults: dict[str, Any] = yaml.safe_load((CHART / "values.yaml").read_text())
    return coalesced(defaults, yaml.safe_load((CHART / values_file).read_text()))


def golden_text(values_file: str) -> str:
    header = (
        f"# helm template {RELEASE} deploy/helm/eda --namespace {NAMESPACE}"
        f"{'' if values_file == 'values.yaml' else ' --values ' + values_file}\n"
        "# Secret values masked. Regenerate with `make golden`; tests/deploy compares.\n"
    )
    body: str = yaml.safe_dump_all(
        masked(documents(render(values_file))), sort_keys=False, width=100
    )
    return header + body


def golden_path(values_file: str) -> Path:
    return GOLDEN / values_file
