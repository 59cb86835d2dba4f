"""`make deploy` changes only a context its environment may change, says which before it
changes anything, and installs the images it (local) or `make images` (staging) built,
by their immutable tag; `make images` builds, tags and pushes the four images. Every
tool is a stand-in recording its calls: no cluster, registry or image is touched."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.dockerfile import base_images
from tests.deploy.standins import Machine, run

IMAGES = ("user-service", "order-service", "subscriber", "operator")
TAG = "0123456789ab"
# Contexts a staging install must not reach unless they are named on purpose.
NOT_STAGING = ("docker-desktop", "minikube", "k3d-eda", "kind-eda", "prod-eu-1", "gke_p_eu_prod")
NOT_LOCAL = ("docker-desktop", "minikube", "k3d-eda", "kind-other", "prod-eu-1", "staging-eu-1")


@pytest.fixture
def machine(tmp_path: Path, system: Path) -> Machine:
    machine = Machine(tmp_path / "machine", system)
    machine.all_tools()
    return machine


def deploy(
    tree: Path, machine: Machine, env_name: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return run([str(tree / "deploy/tools/deploy.sh"), env_name], machine.env(**env))


def _assert_refused(
    result: subprocess.CompletedProcess[str], context: str, machine: Machine
) -> None:
    assert result.returncode != 0
    assert context in result.stderr
    assert machine.installs() == [], "helm installed after a refusal"
    assert not [c for c in machine.calls() if c[0] in {"docker", "podman"} and c[1] != "version"]
    assert not [c for c in machine.calls("kind") if c[1] == "load"]


@pytest.mark.parametrize("context", NOT_STAGING)
def test_staging_refuses_a_context_nobody_allowed(
    context: str, tree: Path, machine: Machine
) -> None:
    machine.kubectl(context=context)
    _assert_refused(deploy(tree, machine, "staging", EDA_IMAGE_TAG=TAG), context, machine)


@pytest.mark.parametrize("context", NOT_STAGING)
def test_staging_refuses_a_context_other_than_the_allowed_one(
    context: str, tree: Path, machine: Machine
) -> None:
    machine.kubectl(context=context)
    result = deploy(tree, machine, "staging", EDA_IMAGE_TAG=TAG, EDA_STAGING_CONTEXT="stg-eu-1")
    _assert_refused(result, context, machine)


def test_staging_never_goes_to_the_local_kind_context(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="kind-eda")
    result = deploy(tree, machine, "staging", EDA_IMAGE_TAG=TAG, EDA_STAGING_CONTEXT="kind-eda")
    _assert_refused(result, "kind-eda", machine)


def test_deploy_refuses_without_a_current_context(tree: Path, machine: Machine) -> None:
    machine.kubectl(context=None)
    result = deploy(tree, machine, "staging", EDA_IMAGE_TAG=TAG, EDA_STAGING_CONTEXT="stg")
    assert result.returncode != 0
    assert "no current kube context" in result.stderr
    assert machine.installs() == []


def test_deploy_refuses_an_environment_without_values(tree: Path, machine: Machine) -> None:
    result = deploy(tree, machine, "production")
    assert result.returncode == 2
    assert "no values file for ENV=production" in result.stderr
    assert machine.installs() == []


@pytest.mark.parametrize("context", NOT_LOCAL)
def test_local_refuses_every_context_but_kind_eda(
    context: str, tree: Path, machine: Machine
) -> None:
    machine.kubectl(context=context)
    _assert_refused(deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG), context, machine)
    assert not (tree / "deploy/kind/credentials.values.yaml").exists()


def test_staging_installs_into_the_allowed_context(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="stg-eu-1")
    result = run(
        [str(tree / "deploy/tools/deploy.sh"), "staging"],
        machine.env(EDA_STAGING_CONTEXT="stg-eu-1", EDA_IMAGE_TAG=TAG),
    )
    assert result.returncode == 0, result.stderr
    (install,) = machine.installs()
    assert install == [
        "helm", "upgrade", "--install", "eda", str(tree / "deploy/helm/eda"),
        "--kube-context", "stg-eu-1", "--namespace", "eda", "--create-namespace",
        "--values", str(tree / "deploy/helm/eda/values-staging.yaml"),
        "--set", f"defaults.image.tag={TAG}",
        "--wait", "--timeout", "10m",
    ]  # fmt: skip
    # Staging installs what `make images` pushed: nothing is built or loaded here.
    assert not machine.calls("docker")
    assert not [c for c in machine.calls("kind") if c[1] == "load"]


def test_staging_says_what_it_changes_before_it_changes_it(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="stg-eu-1")
    result = subprocess.run(
        [str(tree / "deploy/tools/deploy.sh"), "staging"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        check=False,
        timeout=60,
        env=machine.env(
            EDA_STAGING_CONTEXT="stg-eu-1",
            EDA_IMAGE_TAG=TAG,
            EDA_NAMESPACE="shop",
            EDA_RELEASE="shop-eda",
        ),
    )
    assert result.returncode == 0, result.stdout
    before, marker, _ = result.stdout.partition("stand-in: helm upgrade")
    assert marker, result.stdout
    assert "stg-eu-1" in before
    assert "namespace shop" in before
    assert "release shop-eda" in before
    (install,) = machine.installs()
    assert install[3] == "shop-eda"
    assert install[install.index("--namespace") + 1] == "shop"


def test_staging_installs_the_tag_and_registry_of_make_images(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="stg-eu-1")
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = run(
        ["make", "--no-print-directory", "-C", str(tree), "deploy", "ENV=staging",
         "REGISTRY=registry.example.com:5000"],
        machine.env(EDA_STAGING_CONTEXT="stg-eu-1"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (install,) = machine.installs()
    assert f"defaults.image.tag={commit}" in install
    assert "defaults.image.registry=registry.example.com:5000" in install
    assert len(commit) == 12


def _tty_deploy(tree: Path, machine: Machine, answer: str) -> tuple[int, str]:
    """deploy.sh staging with a terminal on stdin, where `answer` is typed."""
    main, terminal = pty.openpty()
    try:
        os.write(main, answer.encode() + b"\n")
        result = subprocess.run(
            [str(tree / "deploy/tools/deploy.sh"), "staging"],
            stdin=terminal,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            env=machine.env(EDA_IMAGE_TAG=TAG),
        )
    finally:
        os.close(terminal)
        os.close(main)
    return result.returncode, result.stderr


def test_staging_at_a_terminal_goes_on_when_the_context_is_typed(
    tree: Path, machine: Machine
) -> None:
    machine.kubectl(context="stg-eu-1")
    returncode, stderr = _tty_deploy(tree, machine, "stg-eu-1")
    assert returncode == 0, stderr
    assert "stg-eu-1" in stderr
    (install,) = machine.installs()
    assert install[install.index("--kube-context") + 1] == "stg-eu-1"


@pytest.mark.parametrize("answer", ["yes", "", "stg-eu"])
def test_staging_at_a_terminal_refuses_any_other_answer(
    answer: str, tree: Path, machine: Machine
) -> None:
    machine.kubectl(context="stg-eu-1")
    returncode, stderr = _tty_deploy(tree, machine, answer)
    assert returncode != 0
    assert "stg-eu-1" in stderr
    assert machine.installs() == []


def _credentials(tree: Path) -> Path:
    return tree / "deploy/kind/credentials.values.yaml"


def test_local_builds_loads_and_installs_on_kind_eda(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="kind-eda")
    # A registry in the environment must not make a local deploy push anything.
    result = deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG, REGISTRY="registry.example.com")
    assert result.returncode == 0, result.stderr
    refs = [f"docker.io/eda/{name}:{TAG}" for name in IMAGES]
    builds = [c for c in machine.calls("docker") if c[1] == "build"]
    bases = [word for pair in base_images().items() for word in ("--build-arg", "=".join(pair))]
    assert builds == [
        ["docker", "build", "-f", str(tree / f"deploy/docker/{name}.Dockerfile"),
         "-t", ref, *bases, str(tree)]
        for name, ref in zip(IMAGES, refs, strict=True)
    ]  # fmt: skip
    assert not [c for c in machine.calls("docker") if c[1] in {"push", "tag"}]
    loads = [c for c in machine.calls("kind") if c[1] == "load"]
    assert loads == [["kind", "load", "docker-image", ref, "--name", "eda"] for ref in refs]
    (install,) = machine.installs()
    values = [install[i + 1] for i, arg in enumerate(install) if arg == "--values"]
    assert values == [
        str(tree / "deploy/helm/eda/values-local.yaml"),
        str(_credentials(tree)),
    ]
    assert install[install.index("--kube-context") + 1] == "kind-eda"
    assert f"defaults.image.tag={TAG}" in install
    assert _credentials(tree).exists()
    # Built, then loaded, then installed.
    order = [c[0] + " " + c[1] for c in machine.calls() if c[1] in {"build", "load", "upgrade"}]
    assert order == ["docker build"] * 4 + ["kind load"] * 4 + ["helm upgrade"]


def test_local_with_podman_loads_archives(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="kind-eda")
    machine.container("podman")
    result = deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG, EDA_CONTAINER_TOOL="podman")
    assert result.returncode == 0, result.stderr
    assert not machine.calls("docker")
    saves = [c for c in machine.calls("podman") if c[1] == "save"]
    assert [c[-1] for c in saves] == [f"docker.io/eda/{name}:{TAG}" for name in IMAGES]
    archives = [c[c.index("-o") + 1] for c in saves]
    loads = [c for c in machine.calls("kind") if c[1] == "load"]
    assert loads == [["kind", "load", "image-archive", a, "--name", "eda"] for a in archives]
    present = [c[1] for c in machine.calls() if c[0] == "archive-present"]
    assert present == archives
    assert len(machine.installs()) == 1


def test_local_context_can_be_another_kind_cluster(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="kind-dev")
    result = deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG, EDA_LOCAL_CONTEXT="kind-dev")
    assert result.returncode == 0, result.stderr
    assert {c[-1] for c in machine.calls("kind") if c[1] == "load"} == {"dev"}


def _make_images(
    tree: Path, machine: Machine, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return run(
        ["make", "--no-print-directory", "-C", str(tree), "images", *args], machine.env(**env)
    )


def test_make_images_tags_with_the_commit_and_pushes_to_the_registry(
    tree: Path, machine: Machine
) -> None:
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short=12", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    result = _make_images(tree, machine, "REGISTRY=registry.example.com:5000")
    assert result.returncode == 0, result.stderr
    docker = machine.calls("docker")
    assert [c[c.index("-t") + 1] for c in docker if c[1] == "build"] == [
        f"docker.io/eda/{name}:{commit}" for name in IMAGES
    ]
    remote = [f"registry.example.com:5000/eda/{name}:{commit}" for name in IMAGES]
    assert [c[3] for c in docker if c[1] == "tag"] == remote
    assert [c[2] for c in docker if c[1] == "push"] == remote
    # Pushed only once every image is built.
    kinds = [c[1] for c in docker if c[1] in {"build", "push"}]
    assert kinds == ["build"] * 4 + ["push"] * 4
    for name in IMAGES:
        assert name in result.stdout


def test_make_images_without_a_registry_only_builds(tree: Path, machine: Machine) -> None:
    result = _make_images(tree, machine, EDA_IMAGE_TAG="v1.2.3-rc1")
    assert result.returncode == 0, result.stderr
    docker = machine.calls("docker")
    assert len([c for c in docker if c[1] == "build"]) == 4
    assert all(c[c.index("-t") + 1].endswith(":v1.2.3-rc1") for c in docker if c[1] == "build")
    assert not [c for c in docker if c[1] in {"tag", "push"}]


def test_make_images_marks_a_dirty_tree_and_never_pushes_it(tree: Path, machine: Machine) -> None:
    with (tree / ".gitignore").open("a") as gitignore:
        gitignore.write("# changed\n")
    result = _make_images(tree, machine)
    assert result.returncode == 0, result.stderr
    builds = [c[c.index("-t") + 1] for c in machine.calls("docker") if c[1] == "build"]
    assert len(builds) == 4
    assert all(ref.endswith("-dirty") for ref in builds)
    refused = _make_images(tree, machine, EDA_REGISTRY="registry.example.com")
    assert refused.returncode != 0
    assert "uncommitted changes" in refused.stderr
    assert not [c for c in machine.calls("docker") if c[1] == "push"]


def test_staging_refuses_the_tag_of_an_uncommitted_tree(tree: Path, machine: Machine) -> None:
    with (tree / ".gitignore").open("a") as gitignore:
        gitignore.write("# changed\n")
    machine.kubectl(context="stg-eu-1")
    result = deploy(tree, machine, "staging", EDA_STAGING_CONTEXT="stg-eu-1")
    assert result.returncode != 0
    assert "-dirty" in result.stderr
    assert machine.installs() == []


def test_make_images_uses_podman_when_docker_is_absent(tree: Path, machine: Machine) -> None:
    (machine.bin / "docker").unlink()
    machine.container("podman")
    result = _make_images(tree, machine, EDA_IMAGE_TAG=TAG)
    assert result.returncode == 0, result.stderr
    assert len([c for c in machine.calls("podman") if c[1] == "build"]) == 4


@pytest.mark.parametrize(
    ("remove", "env", "message"),
    [
        (("docker",), {}, "podman"),
        ((), {"EDA_CONTAINER_TOOL": "podman"}, "EDA_CONTAINER_TOOL=podman"),
        ((), {"EDA_CONTAINER_TOOL": "nerdctl"}, "EDA_CONTAINER_TOOL=nerdctl"),
    ],
)
def test_make_images_says_which_container_tool_is_missing(
    remove: tuple[str, ...], env: dict[str, str], message: str, tree: Path, machine: Machine
) -> None:
    for name in remove:
        (machine.bin / name).unlink()
    result = _make_images(tree, machine, EDA_IMAGE_TAG=TAG, **env)
    assert result.returncode != 0
    assert message in result.stderr
    assert not [c for c in machine.calls() if c[0] in {"docker", "podman"} and c[1] == "build"]


def test_local_credentials_file_is_what_deploy_installs(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="kind-eda")
    assert deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG).returncode == 0
    first = _credentials(tree).read_text()
    assert deploy(tree, machine, "local", EDA_IMAGE_TAG=TAG).returncode == 0
    assert _credentials(tree).read_text() == first
    assert yaml.safe_load(first)["rabbitmq"]["password"]


STAGING_SECRETS = (
    "eda-kafka-ca",
    "eda-mysql-ca",
    "eda-operator-broker",
    "eda-order-service-broker",
    "eda-orders-db-credentials",
    "eda-orders-db-migration",
    "eda-orders-order-placed-broker",
    "eda-orders-user-deactivated-broker",
    "eda-orders-user-registered-broker",
    "eda-rabbitmq-ca",
    "eda-rabbitmq-monitoring",
    "eda-user-service-broker",
    "eda-users-db-credentials",
    "eda-users-db-migration",
    "eda-users-order-cancelled-broker",
    "eda-users-order-confirmed-broker",
    "eda-users-order-rejected-broker",
)


def test_staging_looks_for_every_secret_the_release_reads(tree: Path, machine: Machine) -> None:
    machine.kubectl(context="stg-eu-1", secrets=STAGING_SECRETS)
    result = deploy(tree, machine, "staging", EDA_STAGING_CONTEXT="stg-eu-1", EDA_IMAGE_TAG=TAG)
    assert result.returncode == 0, result.stderr
    asked = [c[c.index("secret") + 1] for c in machine.calls("kubectl") if "secret" in c]
    assert sorted(asked) == sorted(STAGING_SECRETS)
    assert machine.installs()


@pytest.mark.parametrize("absent", ["eda-kafka-ca", "eda-orders-db-migration"])
def test_staging_refuses_before_installing_when_a_secret_is_missing(
    tree: Path, machine: Machine, absent: str
) -> None:
    machine.kubectl(context="stg-eu-1", secrets=set(STAGING_SECRETS) - {absent})
    result = deploy(tree, machine, "staging", EDA_STAGING_CONTEXT="stg-eu-1", EDA_IMAGE_TAG=TAG)
    assert result.returncode == 2
    assert f"Secrets that namespace eda does not have: {absent};" in result.stderr
    assert "Staging Secrets" in result.stderr
    assert machine.installs() == [], "helm installed without a Secret its pods read"


def test_staging_goes_on_when_secrets_cannot_be_read(tree: Path, machine: Machine) -> None:
    forbidden = 'Error from server (Forbidden): secrets "x" is forbidden: User "ci" cannot get'
    machine.kubectl(context="stg-eu-1", secrets_answer=forbidden)
    result = deploy(tree, machine, "staging", EDA_STAGING_CONTEXT="stg-eu-1", EDA_IMAGE_TAG=TAG)
    assert result.returncode == 0, result.stderr
    assert "could not check Secret eda-kafka-ca (Error from server (Forbidden)" in result.stderr
    assert machine.installs()
