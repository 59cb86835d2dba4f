"""``eda access``: the broker rights of tests/unit/shared/messaging/test_permissions.py as
the commands that grant them, and the matrix docs/security.md holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from eda_cli.access import kafka_commands, matrix, rabbitmq_commands
from eda_cli.main import main
from shared.messaging.permissions import workloads
from shared.settings import load_settings


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
    text = (Path(__file__).resolve().parents[3] / "docs" / "security.md").read_text()
    documented = text.split("<!-- eda access matrix -->\n", 1)[1].split("<!-- end", 1)[0]
    assert documented.rstrip("\n").splitlines() == matrix(load_settings()), (
        "docs/security.md's matrix is stale: replace it with `eda access matrix`"
    )
