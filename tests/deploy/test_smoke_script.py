"""`make smoke` (deploy/tools/smoke.sh) with stand-in kind, kubectl, helm and docker:
it deploys through `make deploy ENV=local` into the cluster it uses, and when a check
fails it exits non-zero, stops its port-forwards and deletes the cluster it created,
never one KIND_CLUSTER named. The checks themselves run for real in tests/smoke."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from eda_local.tansu import free_port
from tests.deploy.chart import REPO
from tests.deploy.standins import KUBECTL, Machine, run, work_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    tree = work_tree(tmp_path / "tree")
    # The checks are Python from tests/smoke, run with the checkout's venv.
    (tree / ".venv").symlink_to(REPO / ".venv")
    (tree / "tests").symlink_to(REPO / "tests")
    return tree


@pytest.fixture
def machine(tmp_path: Path, system: Path) -> Machine:
    machine = Machine(tmp_path / "machine", system)
    machine.helm()
    machine.kind(clusters="eda")
    machine.container("docker")
    context = machine.root / "context"
    context.write_text("kind-eda\n")
    # Nothing answers on the forwarded port: the smoke's first check fails there.
    closed_port = free_port()
    machine.standin(
        "kubectl",
        f'case "$*" in\n'
        f'  "version --client"*) printf "%s\\n" {shlex.quote(KUBECTL)} ;;\n'
        f'  "config current-context") cat {context} ;;\n'
        f'  "config use-context "*) echo "$3" >{context} ;;\n'
        f'  *" port-forward "*) echo "Forwarding from 127.0.0.1:{closed_port} -> 8001"\n'
        f"     trap 'kill $!; echo forward-stopped >>{machine.log}; exit 0' TERM\n"
        f"     sleep 60 & wait ;;\n"
        f"esac\n",
    )
    return machine


def smoke(tree: Path, machine: Machine, **env: str) -> tuple[int, str]:
    result = run([str(tree / "deploy/tools/smoke.sh")], machine.env(**env), timeout=120)
    return result.returncode, result.stderr


def test_a_failing_check_deletes_the_cluster_the_smoke_created(
    tree: Path, machine: Machine
) -> None:
    code, stderr = smoke(tree, machine)
    assert code == 1, stderr
    # The checks ran, against the forwarded port where nothing answers.
    assert "smoke: FAILED: ConnectError" in stderr, stderr[-2000:]
    (create,) = [c for c in machine.calls("kind") if c[1] == "create"]
    cluster = create[create.index("--name") + 1]
    assert re.fullmatch(r"eda-smoke-[a-z0-9]{6}", cluster)
    installs = machine.installs()
    assert len(installs) == 1
    assert installs[0][installs[0].index("--kube-context") + 1] == f"kind-{cluster}"
    assert [c for c in machine.calls("kind") if c[1] == "delete"] == [
        ["kind", "delete", "cluster", "--name", cluster]
    ]
    assert len([c for c in machine.calls() if c[0] == "forward-stopped"]) == 3


def test_the_cluster_kind_cluster_names_is_used_and_kept(tree: Path, machine: Machine) -> None:
    code, stderr = smoke(tree, machine, KIND_CLUSTER="eda")
    assert code == 1, stderr
    assert not [c for c in machine.calls("kind") if c[1] in {"create", "delete"}]
    (install,) = machine.installs()
    assert install[install.index("--kube-context") + 1] == "kind-eda"


def test_a_kind_cluster_that_is_not_there_is_named(tree: Path, machine: Machine) -> None:
    code, stderr = smoke(tree, machine, KIND_CLUSTER="nope")
    assert code == 1
    assert "KIND_CLUSTER=nope: no such kind cluster" in stderr
    assert not machine.installs()
    assert not [c for c in machine.calls("kind") if c[1] in {"create", "delete"}]
