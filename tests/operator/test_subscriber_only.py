"""The operator scales only subscriber Deployments (the chart's `eda.dev/role:
subscriber` label), and only through their ``scale`` subresource: the chart's Role
grants no patch of a Deployment itself (docs/operator.md, Permissions)."""

from __future__ import annotations

from scaling_operator.kube import SUBSCRIBER_LABEL
from shared.messaging import group_for, topic_for
from tests.operator.brokers import operator_config
from tests.operator.cluster import Cluster, running_operator
from tests.operator.crd import kafka_source, scaler
from tests.support.polling import eventually

SUBSCRIBER = "orders.order-placed"
EVENT_TYPE = "order.placed"


def _source(kafka_bootstrap: str) -> dict[str, object]:
    kafka = operator_config(kafka_bootstrap).eda.kafka
    return kafka_source(topic_for(kafka, EVENT_TYPE), group_for(kafka, SUBSCRIBER))


async def test_a_deployment_without_the_subscriber_label_is_refused_and_left_alone(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    # Any other Deployment of the namespace, e.g. the API gateway.
    await cluster.create_deployment("gateway", replicas=1, labels={"eda.dev/role": "api"})
    async with running_operator(cluster, operator_config(kafka_bootstrap)):
        # minReplicas 3 over 1 replica: a subscriber would be scaled up at the first reading.
        await cluster.create_scaler(
            scaler("hijack", "gateway", _source(kafka_bootstrap), minReplicas=3)
        )
        await cluster.not_ready("hijack", "NotASubscriber")
        await cluster.readings("hijack", 3)
        ready = cluster.condition("hijack", "Ready")
        assert ready["status"] == "False"
        key, value = SUBSCRIBER_LABEL
        assert f"{key}={value}" in ready["message"]
        assert "gateway" in ready["message"]
        (warning,) = await cluster.posted("NotASubscriber")
        assert warning["type"] == "Warning"
        assert cluster.replicas("gateway") == 1
        assert cluster.deployment_writes("gateway") == []
        assert not cluster.events("ScaledUp")
        assert "lastScaleTime" not in cluster.status("hijack")


async def test_a_subscriber_is_scaled_through_its_scale_subresource_only(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    deployment = "orders-order-placed"
    await cluster.create_deployment(deployment, replicas=1)
    async with running_operator(cluster, operator_config(kafka_bootstrap)):
        await cluster.create_scaler(
            scaler("order-placed", deployment, _source(kafka_bootstrap), minReplicas=3)
        )
        await eventually(lambda: cluster.replicas(deployment) == 3, what="scaled to 3")
        await cluster.readings("order-placed", 2)
    writes = cluster.deployment_writes(deployment)
    assert writes, "no write recorded"
    # A PATCH of the Deployment object itself could change its image, command or env.
    assert set(writes) == {("PATCH", "scale")}, writes


async def test_a_deployment_the_role_does_not_grant_is_refused_as_not_a_subscriber(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    # As the API server answers for a name outside the Role's resourceNames.
    await cluster.create_deployment("gateway", replicas=1)
    cluster.api["get /apis/apps/v1/namespaces/eda/deployments/gateway"] << 403
    async with running_operator(cluster, operator_config(kafka_bootstrap)):
        await cluster.create_scaler(
            scaler("hijack", "gateway", _source(kafka_bootstrap), minReplicas=3)
        )
        ready = await cluster.not_ready("hijack", "NotASubscriber")
        assert "Role does not let it read" in ready["message"]
        (warning,) = await cluster.posted("NotASubscriber")
        assert warning["type"] == "Warning"
        assert cluster.deployment_writes("gateway") == []
        assert cluster.replicas("gateway") == 1
