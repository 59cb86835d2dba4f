"""checkov's Kubernetes policies over the chart rendered with every values file: no
finding except those deploy/helm/checkov-skips.yaml accepts, each with its reason.

One scan for all values files (checkov takes seconds to start): each render goes to
its own folder, and the finding's file path says which values file it came from."""

from __future__ import annotations

import fnmatch
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.chart import CHART, REPO, VALUES_FILES, Manifest

SKIPS_FILE = CHART.parent / "checkov-skips.yaml"


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    values_file: str


@dataclass(frozen=True)
class Scan:
    summary: dict[str, Any]
    failed: list[Finding]
    files: set[str]


@pytest.fixture(scope="module")
def scan(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Scan:
    root = tmp_path_factory.mktemp("rendered")
    for values_file, text in rendered.items():
        folder = root / Path(values_file).stem
        folder.mkdir()
        (folder / "manifests.yaml").write_text(text)
    result = subprocess.run(
        [
            str(REPO / ".venv/bin/checkov"), "-d", str(root), "--framework", "kubernetes",
            "--compact", "--quiet", "--skip-download", "--output", "json",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode in {0, 1}, result.stderr
    report = json.loads(result.stdout)
    (report,) = report if isinstance(report, list) else [report]
    assert report["check_type"] == "kubernetes"
    failed = [
        Finding(
            check["check_id"],
            check["resource"],
            Path(check["file_path"]).parent.name + ".yaml",
        )
        for check in report["results"]["failed_checks"]
    ]
    return Scan(report["summary"], failed, {f.values_file for f in failed})


def _skips() -> list[dict[str, Any]]:
    skips: list[dict[str, Any]] = yaml.safe_load(SKIPS_FILE.read_text())
    return skips


def _accepted(finding: Finding, skip: dict[str, Any]) -> bool:
    return (
        finding.check == skip["check"]
        and any(fnmatch.fnmatchcase(finding.resource, p) for p in skip["resources"])
        and any(fnmatch.fnmatchcase(finding.values_file, v) for v in skip["values"])
    )


def test_every_skip_has_a_one_line_reason() -> None:
    for skip in _skips():
        assert set(skip) == {"check", "resources", "values", "reason"}, skip
        assert skip["reason"].strip(), skip
        assert "\n" not in skip["reason"].strip(), skip


def test_checkov_scanned_every_object_of_every_render(
    scan: Scan, manifests: dict[str, list[Manifest]]
) -> None:
    assert scan.summary["parsing_errors"] == 0
    # checkov counts each object, and the containers of pod templates once more.
    assert scan.summary["resource_count"] >= sum(len(m) for m in manifests.values())
    assert scan.summary["passed"] > 1000
    # Every render has findings accepted for all values (image digests): all were read.
    assert scan.files == set(VALUES_FILES)


def test_no_finding_but_the_accepted_ones(scan: Scan) -> None:
    unaccepted = [f for f in scan.failed if not any(_accepted(f, s) for s in _skips())]
    assert unaccepted == []


def test_no_stale_skip(scan: Scan) -> None:
    for skip in _skips():
        assert any(_accepted(f, skip) for f in scan.failed), f"{skip['check']} matches nothing"
