"""eda access: the broker rights of each workload (one principal per workload), as a
table or as the ``rabbitmqctl`` and ``kafka-acls`` commands that grant them.

Names follow the EDA_KAFKA__TOPIC_PREFIX, EDA_RABBITMQ__EXCHANGE and
EDA_RABBITMQ__QUEUE_PREFIX of the environment, as the workloads see them. Creating the
users and their passwords is left to the broker's administrator: nothing secret is
printed.
"""

from __future__ import annotations

import argparse
import shlex
import sys

from shared.messaging.permissions import (
    KafkaAcl,
    Workload,
    kafka_acls,
    rabbitmq_rights,
    workloads,
)
from shared.settings import Settings, SettingsError, load_settings

FORMATS = ("matrix", "rabbitmq", "kafka")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "access",
        help="the broker rights of each workload, or the commands that grant them",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", choices=FORMATS, help="matrix: a Markdown table")
    parser.add_argument(
        "--principal-prefix",
        default="",
        help="put in front of every workload's name to make its user (e.g. staging-)",
    )
    parser.add_argument("--vhost", default="/", help="RabbitMQ virtual host (default: /)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"eda access: {exc}", file=sys.stderr)
        return 2
    lines = {
        "matrix": matrix,
        "rabbitmq": lambda s, p, _v: rabbitmq_commands(s, p, args.vhost),
        "kafka": kafka_commands,
    }[args.format](settings, args.principal_prefix, args.vhost)
    print("\n".join(lines))
    return 0


def matrix(settings: Settings, prefix: str = "", _vhost: str = "/") -> list[str]:
    lines = [
        "| Workload | RabbitMQ configure | write | read | topic write | topic read |",
        "|---|---|---|---|---|---|",
    ]
    for workload in workloads():
        rights = rabbitmq_rights(workload, settings)
        cells = (rights.configure, rights.write, rights.read, rights.topic_write, rights.topic_read)
        lines.append(f"| {prefix}{workload.name} | " + " | ".join(_code(c) for c in cells) + " |")
    lines += ["", "| Workload | Kafka resource | Operations |", "|---|---|---|"]
    for workload in workloads():
        for (resource, name, pattern), operations in _grouped(kafka_acls(workload, settings)):
            shown = f"{resource} `{name}`" + (" (prefix)" if pattern == "PREFIXED" else "")
            lines.append(f"| {prefix}{workload.name} | {shown} | {', '.join(operations)} |")
    return lines


def rabbitmq_commands(settings: Settings, prefix: str = "", vhost: str = "/") -> list[str]:
    lines: list[str] = []
    for workload in workloads():
        rights = rabbitmq_rights(workload, settings)
        user = prefix + workload.name
        command = ("rabbitmqctl", "set_permissions", "-p", vhost, user)
        lines.append(_shell(*command, rights.configure, rights.write, rights.read))
        topic = ("rabbitmqctl", "set_topic_permissions", "-p", vhost, user)
        exchange = settings.rabbitmq.exchange
        lines.append(_shell(*topic, exchange, rights.topic_write, rights.topic_read))
    return lines


def kafka_commands(settings: Settings, prefix: str = "", _vhost: str = "/") -> list[str]:
    lines: list[str] = []
    for workload in workloads():
        for (resource, name, pattern), operations in _grouped(kafka_acls(workload, settings)):
            words = ["kafka-acls.sh", "--bootstrap-server", "$BOOTSTRAP",
                     "--command-config", "$ADMIN_CONFIG", "--add",
                     "--allow-principal", f"User:{prefix}{workload.name}"]  # fmt: skip
            for operation in operations:
                words += ["--operation", _kafka_operation(operation)]
            words += [f"--{resource}", name]
            if pattern == "PREFIXED":
                words += ["--resource-pattern-type", "prefixed"]
            lines.append(_shell(*words))
    return lines


def _grouped(acls: list[KafkaAcl]) -> list[tuple[tuple[str, str, str], list[str]]]:
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for acl in acls:
        operations = grouped.setdefault((acl.resource, acl.name, acl.pattern), [])
        if acl.operation not in operations:
            operations.append(acl.operation)
    return list(grouped.items())


def _kafka_operation(operation: str) -> str:
    return "".join(word.capitalize() for word in operation.split("_"))


def _shell(*words: str) -> str:
    # $BOOTSTRAP and $ADMIN_CONFIG stay for the shell to expand.
    return " ".join(word if word.startswith("$") else shlex.quote(word) for word in words)


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


__all__ = ["Workload", "kafka_commands", "matrix", "rabbitmq_commands", "register"]
