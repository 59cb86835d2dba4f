"""Podman for the container tests: readied once per session by
deploy/tools/podman-offline.sh, images built by `make images`' own script, and
containers with unique names that are removed when their block ends."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.chart import REPO
from tests.deploy.dockerfile import DOCKERFILES, base_images, ignore_patterns, ignored

TOOLS = REPO / "deploy" / "tools"
IMAGES = ("user-service", "order-service", "subscriber", "operator")


def stand_in_mode() -> bool:
    """Whether the images are built on the stand-in bases (EDA_BASE_IMAGES unset or
    ``standin``) rather than the official ones (``pull``)."""
    return os.environ.get("EDA_BASE_IMAGES", "standin") == "standin"


def ready() -> Path:
    """The containers.conf to run podman with; fails, never skips, where podman cannot be had."""
    result = subprocess.run(
        [str(TOOLS / "podman-offline.sh")], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(
            "podman could not be readied by deploy/tools/podman-offline.sh "
            f"(the container tests need podman, runc and debootstrap):\n{result.stderr}",
            pytrace=False,
        )
    return Path(result.stdout.strip())


def environment(conf: Path) -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(conf)}


def podman(
    conf: Path, *args: str, timeout: float = 120, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env=environment(conf),
        input=input_text,
    )


def context_tag() -> str:
    """A tag naming what the images are built from: the build context .dockerignore
    lets through, the Dockerfiles and their base images. Trees that differ never share
    a tag, on a machine whose image store several checkouts use."""
    patterns = ignore_patterns()
    digest = hashlib.sha256()
    inputs = [*DOCKERFILES.glob("*.Dockerfile"), DOCKERFILES / "base-images.env"]
    inputs.append(REPO / ".dockerignore")
    for top in ("pyproject.toml", "uv.lock", "shared", "services", "deploy/local"):
        candidates = [REPO / top] if (REPO / top).is_file() else (REPO / top).rglob("*")
        inputs += [
            path
            for path in candidates
            if path.is_file() and not ignored(path.relative_to(REPO).as_posix(), patterns)
        ]
    for path in sorted(inputs):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"ctx-{digest.hexdigest()[:12]}"


def image_ref(name: str, tag: str) -> str:
    return f"docker.io/eda/{name}:{tag}"


def base_images_file(conf: Path) -> Path:
    """The base images podman-offline.sh readied (the stand-ins, under localhost/, or
    the pulled official ones), beside the containers.conf it wrote."""
    return conf.parent / "base-images.env"


def base_image_args(conf: Path) -> list[str]:
    """`--build-arg`s of the base images podman-offline.sh readied, for a build of a
    Dockerfile by hand (the Dockerfiles' defaults are the official images)."""
    return [
        word
        for pair in base_images(base_images_file(conf)).items()
        for word in ("--build-arg", "=".join(pair))
    ]


def build_images(
    conf: Path, tag: str, registry: str = "", bases: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`make images`: deploy/tools/build-images.sh with podman, on the base images
    podman-offline.sh readied (or those ``bases`` names); nothing pushed without a
    registry."""
    env = {
        **environment(conf),
        "EDA_CONTAINER_TOOL": "podman",
        "EDA_IMAGE_TAG": tag,
        "EDA_BASE_IMAGES_FILE": str(bases or base_images_file(conf)),
        "REGISTRY": registry,
        "EDA_REGISTRY": "",
    }
    return subprocess.run(
        [str(TOOLS / "build-images.sh")],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env=env,
    )


def unique(prefix: str) -> str:
    return f"eda-test-{prefix}-{uuid.uuid4().hex[:8]}"


@dataclass
class Container:
    conf: Path
    name: str

    def logs(self) -> str:
        result = podman(self.conf, "logs", self.name)
        return result.stdout + result.stderr

    def exec(self, *command: str) -> subprocess.CompletedProcess[str]:
        return podman(self.conf, "exec", self.name, *command)

    def state(self) -> str:
        result = podman(self.conf, "inspect", "--format", "{{.State.Status}}", self.name)
        return result.stdout.strip()

    def stop(self, timeout: int = 60) -> int:
        """SIGTERM, then the exit code (SIGKILL only after ``timeout`` seconds)."""
        stopped = podman(self.conf, "stop", "--time", str(timeout), self.name, timeout=timeout + 30)
        assert stopped.returncode == 0, stopped.stderr
        code = podman(self.conf, "inspect", "--format", "{{.State.ExitCode}}", self.name)
        return int(code.stdout.strip())


@contextlib.asynccontextmanager
async def running(
    conf: Path, prefix: str, image: str, flags: list[str], args: list[str]
) -> AsyncIterator[Container]:
    """A detached container on the host's network, removed at the end of the block.
    podman runs in a thread: the test's own servers keep answering meanwhile."""
    name = unique(prefix)
    started = await asyncio.to_thread(
        podman, conf, "run", "--detach", "--name", name, "--network", "host",
        "--pull", "never", *flags, image, *args,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    try:
        yield Container(conf, name)
    finally:
        await asyncio.to_thread(podman, conf, "rm", "--force", "--time", "5", name)


def run_to_end(
    conf: Path, prefix: str, image: str, flags: list[str], args: list[str], *, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """A container run in the foreground to its exit, as an init container runs."""
    return podman(conf, "run", "--rm", "--name", unique(prefix), "--network", "host",
                  "--pull", "never", *flags, image, *args, timeout=timeout)  # fmt: skip
