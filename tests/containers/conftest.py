"""Podman readied and the four images built once per session (podman's layer cache
makes a rebuild of an unchanged tree a matter of seconds), and the chart rendered
with the values that point its pods at this machine's servers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.containers import podman
from tests.deploy.chart import Manifest, documents, render


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With EDA_BASE_IMAGES=pull the images are built on the official bases: the tests
    of the stand-ins have nothing to check, and are left out rather than skipped."""
    if podman.stand_in_mode():
        return
    left_out = [item for item in items if item.get_closest_marker("stand_ins")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if item not in left_out]


@pytest.fixture(scope="session")
def podman_conf() -> Path:
    return podman.ready()


@pytest.fixture(scope="session")
def image_tag(podman_conf: Path) -> str:
    tag = podman.context_tag()
    started = time.monotonic()
    result = podman.build_images(podman_conf, tag)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    print(f"make images (podman, tag {tag}): {time.monotonic() - started:.0f} s")
    return tag


@pytest.fixture(scope="session")
def local_manifests() -> list[Manifest]:
    """The chart as values-local.yaml renders it (every workload, the operator too)."""
    return documents(render("values-local.yaml"))
