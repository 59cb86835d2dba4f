"""Deleting SubscriberScalers: `helm uninstall` and `tilt down` remove the operator's
Deployment together with the resources, in no guaranteed order. Whichever goes
first, nothing is left behind: no finalizer waits for an operator that is gone."""

from __future__ import annotations

import asyncio
from functools import partial

from shared.messaging import group_for, topic_for
from tests.operator.brokers import operator_config
from tests.operator.cluster import Cluster, running_operator
from tests.operator.crd import kafka_source, scaler
from tests.support.polling import eventually

# What an operator that still used kopf's finalizer left on every resource.
EARLIER_FINALIZER = "eda.dev/subscriber-scaler"


def _reconciled(cluster: Cluster, name: str) -> bool:
    return cluster.condition(name, "Ready").get("status") == "True"


async def _gone(cluster: Cluster, name: str) -> bool:
    return await cluster.stored_scaler(name) is None


async def test_resources_deleted_before_or_after_the_operator_are_gone(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    kafka = config.eda.kafka
    names = ("deleted-first", "deleted-after")
    async with running_operator(cluster, config):
        for name in names:
            await cluster.create_deployment(name, replicas=1)
            source = kafka_source(topic_for(kafka, "order.placed"), group_for(kafka, name))
            await cluster.create_scaler(scaler(name, name, source))
        for name in names:
            await eventually(partial(_reconciled, cluster, name), what=f"{name} reconciled")

        await cluster.delete_scaler("deleted-first")
        await eventually(lambda: _gone(cluster, "deleted-first"), what="deleted-first gone")
        # Its readings stop with it (one may have been under way).
        await asyncio.sleep(2 * config.operator.interval_s)
        patches = cluster.status_patches("deleted-first")
        await asyncio.sleep(4 * config.operator.interval_s)
        assert cluster.status_patches("deleted-first") == patches
        assert cluster.status("deleted-after")  # the other one is still read

    # The operator is gone first, as when helm uninstall removes its Deployment.
    await cluster.delete_scaler("deleted-after")
    left = await cluster.stored_scaler("deleted-after")
    assert left is None, f"stuck: {left['metadata'] if left else ''}"


async def test_a_finalizer_an_earlier_operator_left_is_removed(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    kafka = config.eda.kafka
    await cluster.create_deployment("upgraded", replicas=1)
    resource = scaler(
        "upgraded", "upgraded", kafka_source(topic_for(kafka, "order.placed"), "upgraded")
    )
    resource["metadata"]["finalizers"] = [EARLIER_FINALIZER]
    async with running_operator(cluster, config):
        await cluster.create_scaler(resource)
        await eventually(
            lambda: not cluster.scaler("upgraded")["metadata"].get("finalizers"),
            what="the earlier operator's finalizer removed",
        )
        await eventually(partial(_reconciled, cluster, "upgraded"), what="upgraded reconciled")

    await cluster.delete_scaler("upgraded")
    assert await _gone(cluster, "upgraded")
