"""`make tools` is quiet once installed; `make deploy` refuses a context that does not
fit the environment."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.deploy.chart import REPO

DEPLOY = REPO / "deploy" / "tools" / "deploy.sh"


def test_fetch_tools_is_quiet_when_helm_and_kubectl_are_installed() -> None:
    result = subprocess.run(
        [str(REPO / "deploy/tools/fetch-tools.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def _kubeconfig(tmp_path: Path, context: str) -> Path:
    config = tmp_path / "kubeconfig"
    config.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {}}]\n"
        f"contexts: [{{name: {context}, context: {{cluster: c, user: u}}}}]\n"
        f"current-context: {context}\n"
    )
    return config


@pytest.mark.parametrize(
    ("environment", "context", "refusal"),
    [
        ("staging", "kind-eda", "refuses the local kind context kind-eda"),
        ("staging", "kind-other", "refuses the local kind context kind-other"),
        ("local", "staging-cluster", "ENV=local goes only to kind-eda"),
        ("production", "prod", "no values file for ENV=production"),
    ],
)
def test_deploy_refuses_a_context_that_does_not_fit(
    environment: str, context: str, refusal: str, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(DEPLOY), environment],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "KUBECONFIG": str(_kubeconfig(tmp_path, context))},
    )
    assert result.returncode == 2
    assert refusal in result.stderr
