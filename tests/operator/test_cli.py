"""`eda-operator` as the chart runs it: the console script, one namespace, settings
from the environment, kopf's liveness endpoint, a clean stop on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest

from eda_local.tansu import free_port
from shared.messaging import group_for, topic_for
from shared.settings import KafkaSettings
from tests.operator.cluster import NAMESPACE, Cluster
from tests.operator.console_script import OPERATOR
from tests.operator.crd import kafka_source, scaler
from tests.support.polling import eventually


async def test_the_console_script_scales_in_its_namespace_and_stops_on_sigterm(
    cluster: Cluster, kafka_bootstrap: str, tmp_path: Path
) -> None:
    health_port, metrics_port = free_port(), free_port()
    environment = {
        **os.environ,  # KUBECONFIG points at the emulator
        "EDA_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "EDA_KAFKA__TOPIC_PREFIX": f"cli{health_port}.",
        "EDA_OPERATOR__INTERVAL_S": "0.5",
        "EDA_OPERATOR__NAMESPACE": NAMESPACE,
        "EDA_OPERATOR__HEALTH_PORT": str(health_port),
        "EDA_OPERATOR__METRICS_PORT": str(metrics_port),
    }
    log = (tmp_path / "operator.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        OPERATOR, env=environment, stdout=log, stderr=asyncio.subprocess.STDOUT
    )
    try:
        await eventually(cluster.watching_scalers, timeout=30, what="the operator watching")
        await cluster.create_deployment("orders-order-placed", replicas=2)
        kafka = KafkaSettings(topic_prefix=environment["EDA_KAFKA__TOPIC_PREFIX"])
        source = kafka_source(
            topic_for(kafka, "order.placed"), group_for(kafka, "orders.order-placed")
        )
        await cluster.create_scaler(scaler("order-placed", "orders-order-placed", source))
        # An empty topic; within the default 120 s window the 2 replicas stay.
        await cluster.ready("order-placed", what="a reading")
        assert cluster.status("order-placed")["backlog"] == 0
        assert cluster.status("order-placed")["currentReplicas"] == 2
        assert cluster.replicas("orders-order-placed") == 2
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{health_port}/healthz")
            assert response.status_code == 200
            metrics = (await client.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        series = f'{{deployment="orders-order-placed",namespace="{NAMESPACE}"}}'
        assert f"eda_operator_backlog{series} 0.0" in metrics
        assert f"eda_operator_desired_replicas{series} 2.0" in metrics
        assert "process_start_time_seconds" in metrics
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), timeout=30)
        log.close()
    assert code == 0, (tmp_path / "operator.log").read_text()[-3000:]


@pytest.mark.slow
async def test_without_credentials_it_says_so_and_exits(tmp_path: Path) -> None:
    environment = {**os.environ, "KUBECONFIG": str(tmp_path / "missing"), "HOME": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        OPERATOR, env=environment, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 1
    assert stderr.decode().startswith("eda-operator: the kubeconfig cannot be used")
