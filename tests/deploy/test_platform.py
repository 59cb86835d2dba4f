"""`make tools`, `make dev` and `make deploy` on a Mac or a Linux laptop, amd64 or arm64:
each uses the helm and kubectl on PATH, fetches copies that run there (Linux x86_64 only),
or says what to install; none runs or puts on PATH a binary of another platform. The
platform is a stand-in `uname`; the tools are stand-ins that record their calls."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.deploy.chart import REPO
from tests.deploy.standins import (
    HELM_V3,
    PLATFORMS,
    Machine,
    pinned_copies,
    run,
    runs_on,
    work_tree,
)

MAKE = ["make", "--no-print-directory", "-C", str(REPO)]
# What each platform is told to do when helm or kubectl is missing.
INSTALL_HINT = {
    "Darwin": "brew install helm",
    "Linux": "https://helm.sh/docs/intro/install/",
}


@pytest.fixture
def machine(tmp_path: Path, system: Path) -> Machine:
    return Machine(tmp_path, system)


def _on(machine: Machine, platform: str, *, helm_and_kubectl: bool) -> tuple[str, str]:
    os_name, arch = PLATFORMS[platform]
    machine.platform(os_name, arch)
    machine.kind()
    machine.tilt()
    machine.container()
    if helm_and_kubectl:
        machine.helm()
        machine.kubectl()
    if (os_name, arch) == ("Linux", "x86_64"):
        pinned_copies(machine.fetched)
    return os_name, arch


def _assert_no_foreign_binary(machine: Machine, result_text: str) -> None:
    assert "exec format error" not in result_text.lower()
    assert not machine.calls("npm"), "fetched from the network"


def _make_on(
    machine: Machine, platform: str, target: str, *, helm_and_kubectl: bool
) -> tuple[str, str, subprocess.CompletedProcess[str]]:
    """`make target` on the platform: its OS, its architecture and the result."""
    os_name, arch = _on(machine, platform, helm_and_kubectl=helm_and_kubectl)
    result = run([*MAKE, target], machine.env())
    _assert_no_foreign_binary(machine, result.stdout + result.stderr)
    return os_name, arch, result


def _assert_tilt_up_with_tools_from(
    folder: Path, machine: Machine, os_name: str, arch: str
) -> None:
    assert ["tilt", "up", "--context", "kind-eda"] in machine.calls("tilt")
    seen = machine.tilt_path()
    for tool in ("helm", "kubectl"):
        assert seen[tool] == str(folder / tool)
        assert runs_on(Path(seen[tool]), os_name, arch)


def _assert_told_how_to_install(
    result: subprocess.CompletedProcess[str], os_name: str, machine: Machine
) -> None:
    """Refused without fetching anything, naming the installer and the pinned versions."""
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert INSTALL_HINT[os_name] in output
    assert "v3.14.0" in output
    assert "v1.30.0" in output
    assert list(machine.fetched.iterdir()) == []


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_make_tools_uses_path_tools_or_a_fetch_that_runs(platform: str, machine: Machine) -> None:
    os_name, arch, result = _make_on(machine, platform, "tools", helm_and_kubectl=True)
    assert result.returncode == 0, result.stderr
    if (os_name, arch) != ("Linux", "x86_64"):
        # Nothing fetched that could not run here.
        assert list(machine.fetched.iterdir()) == []


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_make_tools_without_helm_and_kubectl(platform: str, machine: Machine) -> None:
    os_name, arch, result = _make_on(machine, platform, "tools", helm_and_kubectl=False)
    output = result.stdout + result.stderr
    if (os_name, arch) == ("Linux", "x86_64"):
        # The pinned copies, verified by checksum: quiet.
        assert result.returncode == 0, output
        assert output == ""
    else:
        _assert_told_how_to_install(result, os_name, machine)
        assert "helm" in output
        assert "kubectl" in output


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_make_dev_runs_tilt_with_path_tools(platform: str, machine: Machine) -> None:
    os_name, arch, result = _make_on(machine, platform, "dev", helm_and_kubectl=True)
    assert result.returncode == 0, result.stderr
    _assert_tilt_up_with_tools_from(machine.bin, machine, os_name, arch)


@pytest.mark.parametrize("platform", sorted(PLATFORMS))
def test_make_dev_without_helm_and_kubectl(platform: str, machine: Machine) -> None:
    os_name, arch, result = _make_on(machine, platform, "dev", helm_and_kubectl=False)
    output = result.stdout + result.stderr
    if (os_name, arch) == ("Linux", "x86_64"):
        assert result.returncode == 0, output
        _assert_tilt_up_with_tools_from(machine.fetched, machine, os_name, arch)
    else:
        _assert_told_how_to_install(result, os_name, machine)
        assert not [c for c in machine.calls("tilt") if c[1:2] == ["up"]]


def test_make_dev_creates_the_kind_cluster_when_missing(machine: Machine) -> None:
    _on(machine, "darwin-arm64", helm_and_kubectl=True)
    machine.kind(clusters="other")
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode == 0, result.stderr
    creates = [c for c in machine.calls("kind") if c[1:3] == ["create", "cluster"]]
    assert creates == [
        [
            "kind",
            "create",
            "cluster",
            "--config",
            str(REPO / "deploy/kind/cluster.yaml"),
            "--name",
            "eda",
        ]
    ]
    # Created before Tilt starts on it.
    tools = [c[0] for c in machine.calls() if c[0] in {"kind", "tilt"} and c[1] != "version"]
    assert tools[-1] == "tilt"


def test_make_dev_falls_back_to_the_fetched_pair_for_a_too_old_helm(machine: Machine) -> None:
    _on(machine, "linux-x86_64", helm_and_kubectl=True)
    machine.helm("v3.12.3+g3a31588")
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode == 0, result.stderr
    assert "v3.12.3" in result.stderr
    assert machine.tilt_path()["helm"] == str(machine.fetched / "helm")


@pytest.mark.parametrize(
    ("tool", "found", "needed"),
    [
        ("kind", "kind v0.23.0 go1.22.2 darwin/arm64", "v0.24.0"),
        ("tilt", "v0.35.2, built 2025-08-12", "v0.36.0"),
        ("helm", "v3.13.3+gc8b9489", "v3.14.0"),
        ("kubectl", "Client Version: v1.29.9\nKustomize Version: v5.0.4", "v1.30.0"),
    ],
)
def test_make_dev_names_a_tool_that_is_too_old(
    tool: str, found: str, needed: str, machine: Machine
) -> None:
    _on(machine, "darwin-arm64", helm_and_kubectl=True)
    if tool == "kubectl":
        machine.kubectl(version=found)
    else:
        getattr(machine, tool)(found)
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode != 0
    version = next(word for word in found.replace(",", " ").split() if word.startswith("v"))
    (line,) = [line for line in result.stderr.splitlines() if line.startswith(f"{tool}:")]
    assert version.split("+")[0] in line
    assert needed in line
    assert not [c for c in machine.calls("tilt") if c[1] != "version"]


@pytest.mark.parametrize("missing", ["kind", "tilt"])
def test_make_dev_names_a_missing_tool(missing: str, machine: Machine) -> None:
    _on(machine, "linux-aarch64", helm_and_kubectl=True)
    (machine.bin / missing).unlink()
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode != 0
    (line,) = [line for line in result.stderr.splitlines() if line.startswith(f"{missing}:")]
    assert "not found" in line
    assert not [c for c in machine.calls("tilt") if c[1:2] == ["up"]]


def test_make_dev_needs_a_container_tool(machine: Machine) -> None:
    _on(machine, "darwin-arm64", helm_and_kubectl=True)
    (machine.bin / "docker").unlink()
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode != 0
    assert "docker" in result.stderr
    assert "podman" in result.stderr.lower()
    assert not [c for c in machine.calls("tilt") if c[1:2] == ["up"]]


def test_make_dev_accepts_helm_v3_and_podman(machine: Machine) -> None:
    _on(machine, "linux-aarch64", helm_and_kubectl=True)
    machine.helm(HELM_V3)
    (machine.bin / "docker").unlink()
    machine.container("podman")
    result = run([*MAKE, "dev"], machine.env())
    assert result.returncode == 0, result.stderr
    assert ["tilt", "up", "--context", "kind-eda"] in machine.calls("tilt")


@pytest.mark.parametrize("platform", ["darwin-arm64", "linux-aarch64"])
def test_make_deploy_uses_path_tools_or_says_what_to_install(
    platform: str, machine: Machine, tmp_path: Path
) -> None:
    os_name, _ = _on(machine, platform, helm_and_kubectl=False)
    tree = work_tree(tmp_path / "tree")
    make = ["make", "--no-print-directory", "-C", str(tree), "deploy", "ENV=staging"]
    env = machine.env(EDA_STAGING_CONTEXT="staging-eu-1", EDA_IMAGE_TAG="0123456789ab")

    refused = run(make, env)
    assert refused.returncode != 0
    assert INSTALL_HINT[os_name] in refused.stderr
    _assert_no_foreign_binary(machine, refused.stdout + refused.stderr)

    machine.helm()
    machine.kubectl(context="staging-eu-1")
    result = run(make, env)
    assert result.returncode == 0, result.stderr
    (install,) = machine.installs()
    assert install[:3] == ["helm", "upgrade", "--install"]
    _assert_no_foreign_binary(machine, result.stdout + result.stderr)


@pytest.mark.parametrize("platform", ["darwin-arm64", "linux-x86_64"])
def test_make_dev_down_runs_tilt_down_with_path_tools_then_deletes_the_cluster(
    platform: str, machine: Machine
) -> None:
    os_name, arch = _on(machine, platform, helm_and_kubectl=True)
    result = run([*MAKE, "dev-down"], machine.env())
    assert result.returncode == 0, result.stderr
    calls = [c for c in machine.calls() if c[0] in {"tilt", "kind"} and c[1] != "version"]
    assert calls[0] == ["tilt", "down", "--context", "kind-eda"]
    assert calls[-1] == ["kind", "delete", "cluster", "--name", "eda"]
    seen = machine.tilt_path()
    assert seen["helm"] == str(machine.bin / "helm")
    assert runs_on(Path(seen["helm"]), os_name, arch)


def test_make_dev_down_deletes_the_cluster_without_tilt(machine: Machine) -> None:
    _on(machine, "darwin-arm64", helm_and_kubectl=False)
    (machine.bin / "tilt").unlink()
    result = run([*MAKE, "dev-down"], machine.env())
    assert result.returncode == 0, result.stderr
    assert ["kind", "delete", "cluster", "--name", "eda"] in machine.calls("kind")
    _assert_no_foreign_binary(machine, result.stdout + result.stderr)
