from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.secured.certs import Certificates, make_certificates


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(Path(tmp_path_factory.mktemp("unit-certs")))
