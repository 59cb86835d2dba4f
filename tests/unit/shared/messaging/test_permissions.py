"""The rights each workload gets on the brokers (``eda access`` renders them: see
tests/unit/eda_cli/test_access.py). The RabbitMQ rights are proved on the real broker in
tests/integration/secured/test_rabbitmq_workload_rights.py."""

from __future__ import annotations

import re

from shared.messaging.permissions import (
    KafkaAcl,
    kafka_acls,
    rabbitmq_rights,
    workload_named,
    workloads,
)
from shared.settings import load_settings
from shared.subscribers import SUBSCRIBER_NAMES


def test_there_is_one_principal_per_workload() -> None:
    names = [workload.name for workload in workloads()]
    assert names == [
        "user-service",
        "order-service",
        *(subscriber.name for subscriber in SUBSCRIBER_NAMES),
        "operator",
        "eda-dlq",
    ]


def test_rabbitmq_names_are_matched_whole_and_literally() -> None:
    settings = load_settings(rabbitmq={"exchange": "stg.events", "queue_prefix": "stg."})
    rights = rabbitmq_rights(workload_named("users.order-confirmed"), settings)
    pattern = re.compile(rights.read)
    assert pattern.fullmatch("stg.users.order-confirmed")
    assert not pattern.fullmatch("stgXusers.order-confirmed")  # '.' is not any character
    assert not pattern.fullmatch("stg.users.order-confirmed.dlq")  # its dead letters: eda dlq's
    assert not pattern.fullmatch("stg.orders.order-placed")
    assert re.fullmatch(rights.topic_read, "order.confirmed")
    assert not re.fullmatch(rights.topic_read, "order.confirmedX")
    assert re.fullmatch(rights.topic_write, "user.registered")
    assert not re.fullmatch(rights.topic_write, "order.confirmed")


def test_a_subscriber_reads_its_topic_and_group_only_on_kafka() -> None:
    settings = load_settings(kafka={"topic_prefix": "stg."})
    acls = kafka_acls(workload_named("users.order-confirmed"), settings)
    reads = {(acl.resource, acl.name) for acl in acls if acl.operation == "READ"}
    assert reads == {("topic", "stg.order.confirmed"), ("group", "stg.users.order-confirmed")}
    writes = {acl.name for acl in acls if acl.operation == "WRITE"}
    assert writes == {
        "stg.user.registered",
        "stg.user.deactivated",
        "stg.users.order-confirmed.dlq",
    }


def test_the_operator_only_describes_and_creates_on_kafka() -> None:
    acls = kafka_acls(workload_named("operator"), load_settings())
    assert {acl.operation for acl in acls} == {"DESCRIBE", "CREATE"}
    assert KafkaAcl("group", "orders.order-placed", "DESCRIBE") in acls
