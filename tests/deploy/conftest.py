"""Each values file is rendered once per session, and each image's build stage replayed
once; tests read the results. The scripts' tests share the stand-in system tools (once
per module) and a fresh copy of the work tree (once per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.chart import VALUES_FILES, Manifest, documents, render
from tests.deploy.dockerfile import DOCKERFILES, BuildStage
from tests.deploy.standins import system_bin, work_tree


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    return {values_file: render(values_file) for values_file in VALUES_FILES}


@pytest.fixture(scope="session")
def manifests(rendered: dict[str, str]) -> dict[str, list[Manifest]]:
    return {values_file: documents(text) for values_file, text in rendered.items()}


@pytest.fixture(scope="session")
def built_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each image's build stage replayed: image name -> the folder standing for its `/`."""
    roots = {}
    for dockerfile in sorted(DOCKERFILES.glob("*.Dockerfile")):
        image = dockerfile.name.removesuffix(".Dockerfile")
        root = tmp_path_factory.mktemp(image)
        BuildStage(dockerfile, root).build()
        roots[image] = root
    return roots


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of stand-in system tools every Machine falls back on."""
    return system_bin(tmp_path_factory.mktemp("system"))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return work_tree(tmp_path / "tree")
