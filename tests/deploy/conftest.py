"""Each values file is rendered once per session, and each image's build stage replayed
once; tests read the results."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.chart import VALUES_FILES, Manifest, documents, render
from tests.deploy.dockerfile import DOCKERFILES, BuildStage


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
