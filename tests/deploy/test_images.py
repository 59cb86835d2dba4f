"""Each image's install steps, replayed from its Dockerfile into a virtual environment,
give a working entry point; and the Dockerfiles keep to the rules for images."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.chart import CHART, REPO, Manifest, documents, helm, pod_templates, render
from tests.deploy.dockerfile import (
    DOCKERFILES,
    REFERENCE,
    BuildStage,
    base_images,
    entrypoint,
    environment_pairs,
    global_arguments,
    ignore_patterns,
    ignored,
    parse,
    stage,
)
from tests.deploy.standins import Machine, run

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


def uv_version() -> str:
    found = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_dockerfile_rules(image: str) -> None:
    dockerfile = DOCKERFILES / f"{image}.Dockerfile"
    stages = parse(dockerfile)
    build, runtime = stage(stages, "build"), stage(stages, "runtime")
    assert stages[-1] is runtime
    # Every base image from a build argument, whose default is base-images.env's.
    assert build.source == runtime.source == "${PYTHON_IMAGE}"
    assert stage(stages, "uv").source == "${UV_IMAGE}"
    assert global_arguments(dockerfile) == base_images()
    installs = [i.arguments for i in build.of("RUN")]
    assert all("uv sync --frozen --no-dev" in run for run in installs), installs
    _, package = IMAGES[image]
    assert all(f"--package {package}" in run for run in installs)
    # The final stage: the venv from the build stage, no uv, no compilers, a numeric non-root user.
    (copy,) = runtime.of("COPY")
    assert copy.flags_and_words()[0]["from"] == "build"
    (owner,) = runtime.of("ARG")
    assert owner.arguments == "VENV_OWNER=0:0"
    for step in runtime.of("RUN"):
        assert not re.search(r"apt-get|apk|gcc|build-essential|\buv\b", step.arguments)
    (user,) = runtime.of("USER")
    uid, _, gid = user.arguments.partition(":")
    assert int(uid) >= 10000
    assert int(gid) >= 10000


def test_the_base_images_are_the_official_ones_recorded_in_one_file() -> None:
    images = base_images()
    assert set(images) == {"PYTHON_IMAGE", "UV_IMAGE"}
    python = REFERENCE.fullmatch(images["PYTHON_IMAGE"])
    uv = REFERENCE.fullmatch(images["UV_IMAGE"])
    assert python is not None, images
    assert uv is not None, images
    assert python["name"] == "docker.io/library/python"
    assert re.fullmatch(r"3\.11\.\d+-slim-bookworm", python["tag"])
    assert uv["name"] == "ghcr.io/astral-sh/uv"
    assert uv["tag"] == uv_version()
    # Nothing else names them: the file is the one place to change (Dockerfiles' ARG
    # defaults aside, checked equal above).
    named = re.compile(r"python:3\.11\.\d+-slim|astral-sh/uv:\d")
    sources = [
        REPO / "Tiltfile",
        REPO / "Makefile",
        *(REPO / "deploy" / "tools").glob("*.sh"),
        *(REPO / "tests" / "containers").glob("*.py"),
        *(REPO / "tests" / "deploy").glob("*.py"),
        *(REPO / ".github" / "workflows").glob("*.yml"),
    ]
    assert [path.name for path in sources if named.search(path.read_text())] == []


def test_the_uv_requirement_pins_the_makefile_version_with_a_hash_per_platform() -> None:
    """`make` (.tools/uv) and the stand-in uv image install uv from this file only, with
    pip --require-hashes: one sha256 per wheel of Linux x86_64 and aarch64 (manylinux
    and musllinux) and macOS x86_64 and arm64, as PyPI publishes them."""
    requirements = (REPO / "deploy" / "tools" / "uv-requirements.txt").read_text()
    logical = re.sub(r"\\\n", " ", requirements)
    (line,) = [line.split() for line in logical.splitlines() if line and not line.startswith("#")]
    assert line[0] == f"uv=={uv_version()}"
    hashes = [word.removeprefix("--hash=sha256:") for word in line[1:]]
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), line
    # The wheels make's platforms pick: manylinux 2.17 and musllinux x86_64, aarch64's
    # manylinux 2.17+musllinux and 2.28 wheels, macOS x86_64 and arm64.
    assert len(set(hashes)) == len(hashes) == 6
    makefile = (REPO / "Makefile").read_text()
    (install,) = [line for line in makefile.splitlines() if "$(TOOLS)/uv/bin/pip install" in line]
    assert "--require-hashes" in install
    assert "-r $(UV_REQUIREMENTS)" in install
    assert "UV_REQUIREMENTS := deploy/tools/uv-requirements.txt" in makefile
    standins = re.sub(r"\\\n", " ", (REPO / "deploy" / "tools" / "podman-offline.sh").read_text())
    (download,) = [line for line in standins.splitlines() if "pip download" in line]
    assert "--require-hashes" in download
    assert '-r "$uv_requirements"' in download


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


# ---- make images' base images and the stand-ins (deploy/tools/build-images.sh and
# podman-offline.sh with stand-in docker and podman that record their calls).

TAG = "0123456789ab"
DIGEST = "sha256:" + "0123456789abcdef" * 4
PYTHON = base_images()["PYTHON_IMAGE"]


@pytest.fixture
def machine(tmp_path: Path, system: Path) -> Machine:
    machine = Machine(tmp_path / "machine", system)
    machine.container("docker")
    return machine


def _build_images(tree: Path, machine: Machine, **env: str) -> subprocess.CompletedProcess[str]:
    return run([str(tree / "deploy/tools/build-images.sh")], machine.env(EDA_IMAGE_TAG=TAG, **env))


def _podman_with_labels(machine: Machine, labelled: str, absent: str = "") -> None:
    """podman instead of docker; `image inspect` of a ref matching the glob ``labelled``
    answers a stand-in recipe, of one matching ``absent`` fails as for an image not
    here, of any other answers no label."""
    (machine.bin / "docker").unlink()
    machine.standin(
        "podman",
        'if [[ "$1 $2" == "image inspect" ]]; then ref="${@: -1}"\n'
        f'  case "$ref" in {labelled}) echo recipe-1 ;;'
        f' {absent or "-"}) echo "Error: $ref: image not known" >&2; exit 125 ;; esac\n'
        "fi\n",
    )


def _builds(machine: Machine, tool: str = "docker") -> list[list[str]]:
    return [c for c in machine.calls(tool) if c[1] == "build"]


def _build_args(call: list[str]) -> dict[str, str]:
    return dict(call[i + 1].split("=", 1) for i, word in enumerate(call) if word == "--build-arg")


def test_make_images_builds_on_the_base_images_of_the_one_file(
    tree: Path, machine: Machine, tmp_path: Path
) -> None:
    result = _build_images(tree, machine)
    assert result.returncode == 0, result.stderr
    assert [_build_args(call) for call in _builds(machine)] == [base_images()] * 4
    # A digest recorded with its tag is passed as written.
    pinned = tmp_path / "pinned.env"
    recorded = base_images()
    pinned.write_text("".join(f"{name}={ref}@{DIGEST}\n" for name, ref in recorded.items()))
    result = _build_images(tree, machine, EDA_BASE_IMAGES_FILE=str(pinned))
    assert result.returncode == 0, result.stderr
    assert _build_args(_builds(machine)[-1]) == {
        name: f"{ref}@{DIGEST}" for name, ref in recorded.items()
    }


@pytest.mark.parametrize(
    "line",
    [
        f"PYTHON_IMAGE={PYTHON.removeprefix('docker.io/library/')}",  # the registry unsaid
        f"PYTHON_IMAGE=docker.io/library/python@{DIGEST}",  # a digest without its tag
        f"PYTHON_IMAGE={PYTHON}@sha256:abc",
        f'PYTHON_IMAGE="{PYTHON}"',
        "BASE_IMAGE=docker.io/library/debian:bookworm",
        "PYTHON_IMAGE=$(touch /tmp/x):1",
    ],
)
def test_make_images_refuses_a_base_image_file_it_cannot_read(
    line: str, tree: Path, machine: Machine, tmp_path: Path
) -> None:
    bases = tmp_path / "bases.env"
    bases.write_text(f"UV_IMAGE={base_images()['UV_IMAGE']}\n{line}\n")
    result = _build_images(tree, machine, EDA_BASE_IMAGES_FILE=str(bases))
    assert result.returncode != 0
    assert line.split("=", maxsplit=1)[0] in result.stderr
    assert _builds(machine) == []


def test_make_images_never_pushes_an_image_built_on_a_stand_in(
    tree: Path, machine: Machine
) -> None:
    """The stand-ins' label reaches every image built on them: checked on all four
    before the first push."""
    _podman_with_labels(machine, labelled="docker.io/eda/*", absent="docker.io/library/*|ghcr.io/*")
    result = _build_images(tree, machine, REGISTRY="registry.example.com")
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "stand-in" in line
    assert "registry.example.com" in line
    assert len(_builds(machine, "podman")) == 4
    assert not [c for c in machine.calls("podman") if c[1] in {"tag", "push"}]
    # Without a registry the same build is fine: it is what the tests run.
    assert _build_images(tree, machine).returncode == 0


@pytest.mark.parametrize(
    "bases",
    [
        # The names podman-offline.sh gives its stand-ins.
        "PYTHON_IMAGE=localhost/eda-standin/python:bookworm\n"
        "UV_IMAGE=localhost/eda-standin/uv:0.13.9\n",
        # The official names, on a machine where an older podman-offline.sh left its
        # stand-ins under them.
        None,
    ],
)
def test_make_images_for_a_registry_builds_nothing_on_a_stand_in_base(
    bases: str | None, tree: Path, machine: Machine, tmp_path: Path
) -> None:
    _podman_with_labels(machine, labelled="docker.io/library/*|ghcr.io/*")
    env = {"REGISTRY": "registry.example.com"}
    if bases is not None:
        (tmp_path / "bases.env").write_text(bases)
        env["EDA_BASE_IMAGES_FILE"] = str(tmp_path / "bases.env")
    result = _build_images(tree, machine, **env)
    assert result.returncode != 0
    (line,) = result.stderr.splitlines()
    assert "stand-in" in line
    assert _builds(machine, "podman") == []
    assert not [c for c in machine.calls("podman") if c[1] in {"tag", "push"}]


def test_stand_ins_are_named_under_localhost_never_as_the_official_images(
    tree: Path, machine: Machine
) -> None:
    """podman-offline.sh with a podman that has both stand-ins of the current recipe and
    stand-ins an older recipe left under the official names: it untags the latter and
    records the former, under localhost/eda-standin/, for the tests to build on."""
    (machine.bin / "docker").unlink()
    for name in ("runc", "debootstrap"):
        machine.standin(name)
    script = tree / "deploy" / "tools" / "podman-offline.sh"
    # The recipe label podman-offline.sh gives its stand-ins: its own sha256 and uv's version.
    recipe = f'$(sha256sum {script} | cut -d" " -f1)-uv{uv_version()}'
    machine.standin(
        "podman",
        f'if [[ "$1 $2" == "image inspect" ]]; then echo "{recipe}"; fi\n',
    )
    result = run([str(script)], machine.env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tree / ".tools" / "containers.conf")
    recorded = base_images(tree / ".tools" / "base-images.env")
    assert set(recorded) == {"PYTHON_IMAGE", "UV_IMAGE"}
    official = base_images()
    for name, ref in recorded.items():
        assert ref.startswith("localhost/eda-standin/"), ref
        found = REFERENCE.fullmatch(ref)
        assert found is not None, ref
        assert found["tag"] == REFERENCE.fullmatch(official[name])["tag"]  # type: ignore[index]
    assert sorted(c[2:] for c in machine.calls("podman") if c[1] == "untag") == sorted(
        [ref, ref] for ref in official.values()
    )
    assert not [c for c in machine.calls("podman") if c[1] in {"build", "import", "tag", "push"}]


@pytest.mark.parametrize(
    ("values", "images"),
    [
        (
            [f"components.user-service.image.digest={DIGEST}"],
            {"eda/user-service": f"eda/user-service@{DIGEST}", "eda/order-service": None},
        ),
        (
            [
                "defaults.image.registry=registry.example.com/",
                f"defaults.subscriber.image.digest={DIGEST}",
                "operator.enabled=true",
                f"operator.image.digest={DIGEST}",
            ],
            {
                "eda/subscriber": f"registry.example.com/eda/subscriber@{DIGEST}",
                "eda/operator": f"registry.example.com/eda/operator@{DIGEST}",
                "eda/user-service": None,
            },
        ),
    ],
)
def test_the_chart_pins_an_application_image_by_its_digest(
    values: list[str], images: dict[str, str | None]
) -> None:
    sets = [word for value in values for word in ("--set", value)]
    rendered = [
        container["image"]
        for _, template in pod_templates(documents(render("values.yaml", *sets)))
        for container in [
            *template["spec"].get("initContainers", []),
            *template["spec"]["containers"],
        ]
    ]
    for repository, pinned in images.items():
        used = {image for image in rendered if f"/{repository}" in f"/{image}"}
        assert used, repository
        if pinned is None:
            assert all("@" not in image for image in used), used
        else:
            assert used == {pinned}


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (
            "components.user-service.image.digest=sha256:abc",
            "/components/user-service/image/digest",
        ),
        (
            f"components.user-service.image.digest={DIGEST.upper()}",
            "/components/user-service/image/digest",
        ),
        (f"operator.image.digest={DIGEST.removeprefix('sha256:')}", "/operator/image/digest"),
        # One digest names one image: never all of them at once.
        (f"defaults.image.digest={DIGEST}", "/defaults/image"),
    ],
)
def test_the_schema_refuses_a_digest_that_cannot_pin_an_image(value: str, refused: str) -> None:
    result = helm("template", "eda", str(CHART), "--set", value)
    assert result.returncode != 0
    assert refused in result.stderr
