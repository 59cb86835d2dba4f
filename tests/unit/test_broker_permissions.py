"""The rights each workload gets on the brokers, and ``eda access``'s rendering of them.
The RabbitMQ rights are proved on the real broker in
tests/integration/secured/test_rabbitmq_workload_rights.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eda_cli.access import kafka_commands, matrix, rabbitmq_commands
from eda_cli.main import main
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


def test_the_commands_quote_every_pattern() -> None:
    settings = load_settings()
    lines = rabbitmq_commands(settings, "stg-", "/eda")
    assert lines[:2] == [
        "rabbitmqctl set_permissions -p /eda stg-user-service '^(events|events\\.unrouted)$'"
        " '^(events|events\\.unrouted)$' '^(events|events\\.unrouted)$'",
        "rabbitmqctl set_topic_permissions -p /eda stg-user-service events"
        " '^(user\\.deactivated|user\\.registered)$' '^$'",
    ]
    assert (
        "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN_CONFIG --add"
        " --allow-principal User:orders.order-placed --operation Read --topic orders.order-placed"
        " --resource-pattern-type literal"
    ) not in kafka_commands(settings)  # literal is Kafka's default: not spelled out
    assert (
        "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config $ADMIN_CONFIG --add"
        " --allow-principal User:orders.order-placed --operation Read --group orders.order-placed"
    ) in kafka_commands(settings)


def test_eda_access_prints_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["access", "rabbitmq", "--principal-prefix", "stg-"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 * len(workloads())
    assert all(line.startswith("rabbitmqctl set_") for line in printed)


def test_the_security_docs_hold_the_current_matrix() -> None:
    text = (Path(__file__).parents[2] / "docs" / "security.md").read_text()
    documented = text.split("<!-- eda access matrix -->\n", 1)[1].split("<!-- end", 1)[0]
    assert documented.rstrip("\n").splitlines() == matrix(load_settings()), (
        "docs/security.md's matrix is stale: replace it with `eda access matrix`"
    )
