"""Each image's install steps, replayed from its Dockerfile into a virtual environment,
give a working entry point; and the Dockerfiles keep to the rules for images."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.chart import REPO, Manifest, pod_templates
from tests.deploy.dockerfile import (
    DOCKERFILES,
    BuildStage,
    entrypoint,
    environment_pairs,
    ignore_patterns,
    ignored,
    parse,
    stage,
)

IMAGES = {
    # image: (what its entry point's --help prints, the package it installs)
    "user-service": ("usage: user-service", "user-service"),
    "order-service": ("usage: order-service", "order-service"),
    "subscriber": ("usage: subscriber", "subscribers"),
    "operator": ("usage: eda-operator", "scaling-operator"),
}
VENV = "/opt/venv"


def test_one_dockerfile_per_image() -> None:
    assert {p.name.removesuffix(".Dockerfile") for p in DOCKERFILES.glob("*.Dockerfile")} == set(
        IMAGES
    )


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_installed_entry_point_starts(image: str, built_images: dict[str, Path]) -> None:
    root = built_images[image]
    stages = parse(DOCKERFILES / f"{image}.Dockerfile")
    runtime = stage(stages, "runtime")
    (copy,) = runtime.of("COPY")
    assert copy.arguments.split()[-2:] == [VENV, VENV]
    (env,) = runtime.of("ENV")
    path = environment_pairs(env)["PATH"]
    assert path.startswith(f"{VENV}/bin:")
    result = _start(DOCKERFILES / f"{image}.Dockerfile", root)
    usage, _ = IMAGES[image]
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(usage)


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_the_venv_holds_the_package_and_not_the_test_tools(
    image: str, built_images: dict[str, Path]
) -> None:
    site = built_images[image] / VENV.lstrip("/") / "lib" / "python3.11" / "site-packages"
    installed = {p.name.split("-")[0].lower() for p in site.glob("*.dist-info")}
    _, package = IMAGES[image]
    assert package.replace("-", "_") in installed
    assert "eda_shared" in installed
    assert not {"pytest", "ruff", "mypy", "checkov", "eda_local", "uv"} & installed
    # Installed as wheels, not as links back into the source tree.
    assert [p for p in site.glob("*.pth") if str(REPO) in p.read_text()] == []


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile_rules(image: str) -> None:
    stages = parse(DOCKERFILES / f"{image}.Dockerfile")
    build, runtime = stage(stages, "build"), stage(stages, "runtime")
    assert stages[-1] is runtime
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", runtime.image)
    assert build.image == runtime.image
    makefile = (REPO / "Makefile").read_text()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.MULTILINE)
    assert uv_version is not None
    assert stage(stages, "uv").image == f"ghcr.io/astral-sh/uv:{uv_version.group(1)}"
    installs = [i.arguments for i in build.of("RUN")]
    assert all("uv sync --frozen --no-dev" in run for run in installs), installs
    _, package = IMAGES[image]
    assert all(f"--package {package}" in run for run in installs)
    # The final stage: the venv from the build stage, no uv, no compilers, a numeric non-root user.
    (copy,) = runtime.of("COPY")
    assert copy.flags_and_words()[0]["from"] == "build"
    (owner,) = runtime.of("ARG")
    assert owner.arguments == "VENV_OWNER=0:0"
    for run in runtime.of("RUN"):
        assert not re.search(r"apt-get|apk|gcc|build-essential|\buv\b", run.arguments)
    (user,) = runtime.of("USER")
    uid, _, gid = user.arguments.partition(":")
    assert int(uid) >= 10000
    assert int(gid) >= 10000


def test_dockerignore_keeps_the_context_to_what_images_install() -> None:
    patterns = ignore_patterns()
    for sent in ("uv.lock", "shared/src/shared/settings.py", "services/subscribers/pyproject.toml"):
        assert not ignored(sent, patterns), sent
    for kept_out in (
        ".venv/bin/python",
        "tests/conftest.py",
        ".git/HEAD",
        "Makefile",
        "shared/src/shared/__pycache__/settings.cpython-311.pyc",
    ):
        assert ignored(kept_out, patterns), kept_out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("--package user-service", "--package user-servic"),
        ("COPY services/user_service/src services/user_service/src\n", ""),
        ("uv.lock ./", "uv.lock tests/conftest.py ./"),
    ],
)
def test_a_broken_install_step_fails_here(change: str, message: str, tmp_path: Path) -> None:
    original = (DOCKERFILES / "user-service.Dockerfile").read_text()
    assert change in original
    dockerfile = tmp_path / "user-service.Dockerfile"
    dockerfile.write_text(original.replace(change, message))
    try:
        BuildStage(dockerfile, tmp_path / "root").build()
    except AssertionError:
        return  # the replayed build stage failed
    assert _start(dockerfile, tmp_path / "root").returncode != 0


def _start(dockerfile: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """The final stage's entry point, with --help, from the replayed virtual environment."""
    stages = parse(dockerfile)
    command, *arguments = entrypoint(stages)
    return subprocess.run(
        [str(root / VENV.lstrip("/") / "bin" / command), *arguments, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_every_command_the_chart_runs_is_in_its_image(
    manifests: dict[str, list[Manifest]], built_images: dict[str, Path]
) -> None:
    """Containers and init containers alike (a pod on the in-chart database migrates
    it first with its owning service's command)."""
    commands: set[tuple[str, str]] = set()
    init_containers = 0
    for rendered in manifests.values():
        for _, template in pod_templates(rendered):
            spec = template["spec"]
            init_containers += len(spec.get("initContainers", []))
            for container in [*spec.get("initContainers", []), *spec["containers"]]:
                repository = container["image"].rsplit(":", 1)[0]
                if "/eda/" in f"/{repository}":
                    image = repository.rsplit("/", 1)[-1]
                    commands.add((image, container["command"][0]))
    assert init_containers > 0
    for image, command in sorted(commands):
        executable = built_images[image] / VENV.lstrip("/") / "bin" / command
        result = subprocess.run(
            [str(executable), "--help"], capture_output=True, text=True, check=False, timeout=60
        )
        assert result.returncode == 0, f"{image}: {command}: {result.stderr}"
