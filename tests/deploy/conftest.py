"""Each values file is rendered once per session; tests read the parsed manifests."""

from __future__ import annotations

import pytest

from tests.deploy.chart import VALUES_FILES, Manifest, documents, render


@pytest.fixture(scope="session")
def rendered() -> dict[str, str]:
    return {values_file: render(values_file) for values_file in VALUES_FILES}


@pytest.fixture(scope="session")
def manifests(rendered: dict[str, str]) -> dict[str, list[Manifest]]:
    return {values_file: documents(text) for values_file, text in rendered.items()}
