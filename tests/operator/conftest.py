from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.operator.cluster import Cluster, running_cluster
from tests.support.secured.fixtures import *  # noqa: F403  (certificates, stunnel, RabbitMQ users)


@pytest.fixture
async def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Cluster]:
    """An emulated Kubernetes API the operator logs in to through KUBECONFIG."""
    async with running_cluster() as emulated:
        monkeypatch.setenv("KUBECONFIG", str(emulated.write_kubeconfig(tmp_path / "kubeconfig")))
        yield emulated
