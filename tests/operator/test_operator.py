"""The operator running (kopf's runner) against an emulated Kubernetes API and the
real brokers: backlogs scale subscriber Deployments up and, after the window, down;
a broker it cannot read changes nothing."""

from __future__ import annotations

import sys
import time

import pytest

from eda_local.tansu import free_port
from scaling_operator.spec import DEFAULT_MIN_REPLICAS
from shared.messaging import (
    dead_letter_queue,
    dead_letter_topic_for,
    group_for,
    queue_name,
    topic_for,
)
from tests.operator.brokers import (
    consume_and_commit,
    declare_classic_queue,
    operator_config,
    publish_to_exchange,
    publish_to_topic,
    statistics_show,
    taken_unacknowledged,
    topic_partitions,
)
from tests.operator.cluster import DEPLOYMENT, NAMESPACE, Cluster, running_operator, scaling_orders
from tests.operator.crd import kafka_source, rabbitmq_source, scaler
from tests.support.polling import eventually
from tests.support.rabbitmq import delete_topology, ready_messages

# The operator reads the local RabbitMQ's backlogs (kafka: the fixture).
pytestmark = [pytest.mark.rabbitmq]

BACKLOG = 5_000
WINDOW_S = 3
SUBSCRIBER = "orders.order-placed"
EVENT_TYPE = "order.placed"


def report(figure: str, seconds: float) -> None:
    # kopf's runner captures sys.stdout while it runs; the measured figures go past it.
    print(f"\n{figure}: {seconds:.2f} s", file=sys.__stderr__)


async def test_kafka_lag_scales_up_to_the_partition_count_and_down_after_the_window(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    kafka = config.eda.kafka
    topic = topic_for(kafka, EVENT_TYPE)
    async with scaling_orders(
        cluster,
        config,
        kafka_source(topic, group_for(kafka, SUBSCRIBER), partitions=6),
        replicas=1,
        maxReplicas=10,  # above the partition count: the topic caps it
        targetBacklogPerReplica=500,
        scaleDownStabilizationSeconds=WINDOW_S,
    ):
        await cluster.ready("order-placed", what="the first reading")
        # The operator created the topic with the resource's partitions, and the DLQ.
        assert await topic_partitions(kafka, topic) == 6
        assert await topic_partitions(kafka, dead_letter_topic_for(kafka, SUBSCRIBER)) == 1
        assert cluster.status("order-placed")["backlog"] == 0
        assert cluster.replicas(DEPLOYMENT) == 1
        assert await cluster.posted("TopologyEnsured")

        published = time.monotonic()
        await publish_to_topic(kafka, topic, BACKLOG)
        await eventually(lambda: cluster.replicas(DEPLOYMENT) == 6, what="scaled to 6")
        report("Kafka: 5,000 unread events to 6 replicas", time.monotonic() - published)
        await cluster.readings("order-placed", 2)
        status = cluster.status("order-placed")
        assert status["backlog"] == BACKLOG  # counted from the earliest offset: no commits yet
        assert status["desiredReplicas"] == 6
        assert "capped at the topic's 6 partitions" in status["lastScaleReason"]
        assert cluster.replicas(DEPLOYMENT) == 6  # never above the partitions
        # A reading during the publishing may have scaled up a step before this one.
        scaled_up = (await cluster.posted("ScaledUp"))[-1]
        assert scaled_up["type"] == "Normal"
        assert "to 6 replicas" in scaled_up["message"]
        assert scaled_up["involvedObject"]["kind"] == "SubscriberScaler"

        await consume_and_commit(kafka, topic, group_for(kafka, SUBSCRIBER), BACKLOG)
        committed = time.monotonic()
        await eventually(
            lambda: cluster.status("order-placed").get("backlog") == 0, what="backlog 0"
        )
        assert cluster.replicas(DEPLOYMENT) == 6  # the window has not passed yet
        await eventually(
            lambda: cluster.replicas(DEPLOYMENT) == DEFAULT_MIN_REPLICAS,
            timeout=WINDOW_S + 20,
            what="scaled down",
        )
        waited = time.monotonic() - committed
        report("Kafka: committed to scaled down (3 s window)", waited)
        assert waited >= WINDOW_S - 2 * config.operator.interval_s
        (scaled_down,) = await cluster.posted("ScaledDown")
        assert "from 6 to 1" in scaled_down["message"]
        assert cluster.condition("order-placed", "BrokerReachable")["status"] == "True"


async def test_rabbitmq_depth_counts_unacknowledged_messages(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    rabbitmq = config.eda.rabbitmq
    queue = queue_name(rabbitmq, SUBSCRIBER)
    try:
        async with scaling_orders(
            cluster,
            config,
            rabbitmq_source(queue),
            replicas=1,
            maxReplicas=5,
            targetBacklogPerReplica=500,
            scaleDownStabilizationSeconds=WINDOW_S,
        ):
            await eventually(
                lambda: cluster.status("order-placed").get("backlog") == 0,
                what="the first reading of the queue the operator declared",
            )
            # The operator declared the dead-letter queue (passive declarations fail without).
            assert await ready_messages(rabbitmq, dead_letter_queue(queue)) == 0
            # Published to the exchange by event type: the operator bound the queue.
            published = time.monotonic()
            await publish_to_exchange(rabbitmq, EVENT_TYPE, BACKLOG)
            report("RabbitMQ: publishing 5,000 with confirms", time.monotonic() - published)
            await eventually(lambda: cluster.replicas(DEPLOYMENT) == 5, what="scaled to max")
            report("RabbitMQ: 5,000 ready messages to 5 replicas", time.monotonic() - published)
            await eventually(
                lambda: cluster.status("order-placed")["backlog"] == BACKLOG,
                what="the whole backlog counted",
                timeout=15,
            )

            async with taken_unacknowledged(rabbitmq, queue, BACKLOG) as taken:
                assert await ready_messages(rabbitmq, queue) == 0
                # Statistics refresh every few seconds: wait until they show the taking.
                await statistics_show(queue, ready=0, unacknowledged=BACKLOG)
                await cluster.readings("order-placed", 3)
                # Work in flight is backlog: still 5,000, still 5 replicas.
                assert cluster.status("order-placed")["backlog"] == BACKLOG
                assert cluster.replicas(DEPLOYMENT) == 5
                await taken[-1].ack(multiple=True)
                acknowledged = time.monotonic()
                await eventually(
                    lambda: cluster.replicas(DEPLOYMENT) == DEFAULT_MIN_REPLICAS,
                    timeout=WINDOW_S + 30,
                    what="scaled down",
                )
                report("RabbitMQ: acknowledged to scaled down", time.monotonic() - acknowledged)
            assert cluster.status("order-placed")["backlog"] == 0
            assert "to 5 replicas" in (await cluster.posted("ScaledUp"))[-1]["message"]
            assert "to 1 replicas" in (await cluster.posted("ScaledDown"))[-1]["message"]
            # Up, then down (in steps if the statistics caught the acknowledging midway):
            # never up again, no flapping.
            reasons = [e["reason"] for e in cluster.events() if e["reason"].startswith("Scaled")]
            assert "ScaledDown" in reasons
            assert reasons == sorted(reasons, key=lambda reason: reason == "ScaledDown"), [
                event["message"] for event in cluster.events() if event["reason"] in reasons
            ]
    finally:
        await delete_topology(rabbitmq, [SUBSCRIBER])


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["kafka", "rabbitmq"])
async def test_an_unreachable_broker_changes_no_replicas(cluster: Cluster, broker: str) -> None:
    nothing_listens = f"127.0.0.1:{free_port()}"
    config = operator_config(
        nothing_listens,
        rabbitmq_url=f"amqp://guest:guest@{nothing_listens}/",
        management_url=f"http://{nothing_listens}",
    )
    source = (
        kafka_source(
            topic_for(config.eda.kafka, EVENT_TYPE), group_for(config.eda.kafka, SUBSCRIBER)
        )
        if broker == "kafka"
        else rabbitmq_source(queue_name(config.eda.rabbitmq, SUBSCRIBER))
    )
    # minReplicas 0 and no window: read as an empty backlog, the error would scale to zero.
    async with scaling_orders(
        cluster,
        config,
        source,
        replicas=3,
        minReplicas=0,
        scaleDownStabilizationSeconds=0,
    ):
        await eventually(
            lambda: cluster.condition("order-placed", "BrokerReachable").get("status") == "False",
            what="BrokerReachable false",
        )
        await cluster.readings("order-placed", 4)
        assert cluster.replicas(DEPLOYMENT) == 3
        status = cluster.status("order-placed")
        assert "backlog" not in status  # unknown, not zero
        assert status["desiredReplicas"] == 3
        assert status["currentReplicas"] == 3
        assert "lastScaleTime" not in status
        reachable = cluster.condition("order-placed", "BrokerReachable")
        assert reachable["reason"] == "BrokerUnreachable"
        assert nothing_listens in reachable["message"]
        ready = cluster.condition("order-placed", "Ready")
        assert (ready["status"], ready["reason"]) == ("False", "BrokerUnreachable")
        # One warning for the change, not one per reading.
        (warning,) = await cluster.posted("BrokerUnreachable")
        assert warning["type"] == "Warning"
        assert not cluster.events("ScaledDown")


async def test_a_missing_deployment_is_reported_not_created(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    # Watching one namespace, as the chart runs it with a namespaced Role.
    async with running_operator(cluster, config, namespace=NAMESPACE):
        await cluster.create_scaler(
            scaler(
                "order-placed",
                "no-such-deployment",
                kafka_source(
                    topic_for(config.eda.kafka, EVENT_TYPE), group_for(config.eda.kafka, SUBSCRIBER)
                ),
            )
        )
        ready = await cluster.not_ready("order-placed", "DeploymentNotFound")
        assert ready["status"] == "False"
        assert "no-such-deployment" in ready["message"]
        assert cluster.condition("order-placed", "BrokerReachable")["status"] == "True"
        assert cluster.status("order-placed")["backlog"] == 0
        assert (await cluster.posted("DeploymentNotFound"))[0]["type"] == "Warning"
    assert cluster.cluster_scoped_reads() == []


async def test_a_queue_the_broker_will_not_redeclare_is_warned_about_once(
    cluster: Cluster, kafka_bootstrap: str
) -> None:
    config = operator_config(kafka_bootstrap)
    rabbitmq = config.eda.rabbitmq
    queue = queue_name(rabbitmq, SUBSCRIBER)
    # A classic queue of that name already exists: declaring it as a quorum queue fails.
    await declare_classic_queue(rabbitmq, queue)
    try:
        async with scaling_orders(cluster, config, rabbitmq_source(queue), replicas=2):
            (warning,) = await cluster.posted("TopologyNotEnsured")
            assert warning["type"] == "Warning"
            assert "PRECONDITION_FAILED" in warning["message"]
            # The queue is still read: the scaling goes on.
            await cluster.ready("order-placed", what="a reading of the existing queue", timeout=20)
            await cluster.readings("order-placed", 3)
            assert len(cluster.events("TopologyNotEnsured")) == 1
            assert not cluster.events("TopologyEnsured")
    finally:
        await delete_topology(rabbitmq, [SUBSCRIBER])
