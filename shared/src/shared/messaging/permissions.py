"""What each workload may do on the brokers: one principal per workload, with rights
derived from the same tables the code routes by (``shared.subscribers`` and
``shared.events.producers``), so the ACLs cannot drift from what the code does.

Workloads: the two APIs, each subscriber, the scaling operator and ``eda dlq``. A
process publishes the events of its context only (a subscriber's relay publishes
what its context's handlers wrote), consumes its own queue or group only, and
declares only what it owns. ``docs/security.md`` holds the matrix this produces;
``eda access`` prints the ``rabbitmqctl`` and ``kafka-acls`` commands that set it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.events.producers import ORDER_SERVICE, USER_SERVICE, event_types_of
from shared.messaging.names import broker_names
from shared.messaging.protocols import Subscription
from shared.settings import Settings
from shared.subscribers import SUBSCRIBER_NAMES, SubscriberName

OPERATOR = "operator"
DLQ_TOOL = "eda-dlq"
# The bounded context a subscriber runs in publishes as its service.
_SERVICE_OF_CONTEXT = {"users": USER_SERVICE, "orders": ORDER_SERVICE}
# Where RabbitMQ checks a publish through the default exchange (eda dlq's replays).
_DEFAULT_EXCHANGE = "amq.default"
# Matches no name a workload uses: RabbitMQ's way of granting nothing.
NOTHING = "^$"
# The Kafka consumer group of eda dlq's committed offsets, and its audit record's topic
# or RabbitMQ stream (eda_cli.dlq), before the prefixes.
DLQ_TOOL_GROUP_PREFIX = "eda-dlq."
DLQ_AUDIT = "eda.dlq.audit"


@dataclass(frozen=True, slots=True)
class Workload:
    name: str
    """The principal: the RabbitMQ user and Kafka ``User:`` this workload runs as."""
    publishes: tuple[str, ...] = ()
    """Event types its relay publishes."""
    consumes: SubscriberName | None = None
    kind: str = "api"
    """api, subscriber, operator or tool."""


def workloads() -> tuple[Workload, ...]:
    apis = [Workload(service, event_types_of(service)) for service in (USER_SERVICE, ORDER_SERVICE)]
    subscribers = [
        Workload(
            subscriber.name,
            event_types_of(_SERVICE_OF_CONTEXT[subscriber.context]),
            subscriber,
            "subscriber",
        )
        for subscriber in SUBSCRIBER_NAMES
    ]
    return (
        *apis,
        *subscribers,
        Workload(OPERATOR, kind="operator"),
        Workload(DLQ_TOOL, kind="tool"),
    )


def workload_named(name: str) -> Workload:
    for workload in workloads():
        if workload.name == name:
            return workload
    known = ", ".join(workload.name for workload in workloads())
    raise LookupError(f"no workload is named {name!r}; known: {known}")


@dataclass(frozen=True, slots=True)
class RabbitMQRights:
    """``rabbitmqctl set_permissions`` (configure, write, read: regular expressions on
    exchange and queue names) and ``set_topic_permissions`` on the events exchange
    (write: routing keys it may publish; read: routing keys it may bind a queue to)."""

    configure: str
    write: str
    read: str
    topic_write: str
    topic_read: str


def rabbitmq_rights(workload: Workload, settings: Settings) -> RabbitMQRights:
    exchange = settings.rabbitmq.exchange
    unrouted = f"{exchange}.unrouted"
    own = [_rabbitmq_names(settings, workload.consumes)] if workload.consumes else []
    if workload.kind == "tool":
        dead_letter_queues = [names[2] for names in _all_rabbitmq_names(settings)]
        audit = settings.rabbitmq.queue_prefix + DLQ_AUDIT
        # Reads and purges dead-letter queues; replays into the subscriber's queue and
        # appends to its audit stream through the default exchange; reads the stream
        # back. It declares nothing: an administrator creates the stream, so that no
        # user of the tool may delete it.
        return RabbitMQRights(
            NOTHING,
            _names(_DEFAULT_EXCHANGE),
            _names(*dead_letter_queues, audit),
            NOTHING,
            NOTHING,
        )
    if workload.kind == "operator":
        # Declares every subscriber's queue and dead-letter pair (a subscriber scaled to
        # zero declares nothing) and binds each to its own event type. Declaring a queue
        # with a dead-letter exchange takes read on the queue: the broker's rule.
        own = list(_all_rabbitmq_names(settings))
    queues = [name for names in own for name in names]
    dead_letter_exchanges = [names[1] for names in own]
    # Every publisher and consumer declares the events exchange (with its alternate
    # exchange: read on the one, write on the other) and its unrouted parking queue
    # (binding that queue reads the unrouted exchange of the same name).
    configure = _names(exchange, unrouted, *queues)
    write = _names(exchange, unrouted, *queues) if workload.publishes else _names(unrouted, *queues)
    consumed = [names[0] for names in own]
    read = _names(exchange, unrouted, *consumed, *dead_letter_exchanges)
    bound = [subscriber.event_type for subscriber in _subscribers_of(workload)]
    return RabbitMQRights(
        configure=configure,
        write=write,
        read=read,
        topic_write=_names(*workload.publishes) if workload.publishes else NOTHING,
        topic_read=_names(*bound) if bound else NOTHING,
    )


def _subscribers_of(workload: Workload) -> list[SubscriberName]:
    if workload.kind == "operator":
        return list(SUBSCRIBER_NAMES)
    return [workload.consumes] if workload.consumes else []


def _rabbitmq_names(settings: Settings, subscriber: SubscriberName) -> tuple[str, str, str]:
    names = broker_names(settings, Subscription(subscriber.name, subscriber.event_type))
    return names.queue, names.dead_letter_exchange, names.dead_letter_queue


def _all_rabbitmq_names(settings: Settings) -> Iterable[tuple[str, str, str]]:
    return (_rabbitmq_names(settings, subscriber) for subscriber in SUBSCRIBER_NAMES)


def _names(*names: str) -> str:
    """A regular expression matching exactly these names."""
    return "^(" + "|".join(_escape(name) for name in dict.fromkeys(names)) + ")$"


def _escape(name: str) -> str:
    return "".join(f"\\{char}" if char in r"\.^$*+?()[]{}|" else char for char in name)


@dataclass(frozen=True, slots=True)
class KafkaAcl:
    """One ``kafka-acls --add --allow-principal User:<workload>`` line: a LITERAL
    resource name, or a PREFIXED one where the names are not known in advance."""

    resource: str
    """topic, group or cluster"""
    name: str
    operation: str
    pattern: str = "LITERAL"


def kafka_acls(workload: Workload, settings: Settings) -> list[KafkaAcl]:
    topic_of = settings.kafka.topic_prefix.__add__
    acls: list[KafkaAcl] = []
    for event_type in workload.publishes:
        # CREATE: a publisher creates its topics on first use (TopicProvisioner).
        acls += _each("topic", topic_of(event_type), ("WRITE", "DESCRIBE", "CREATE"))
    if workload.kind == "subscriber" and workload.consumes is not None:
        names = broker_names(
            settings, Subscription(workload.consumes.name, workload.consumes.event_type)
        )
        acls += _each("topic", names.topic, ("READ", "DESCRIBE", "CREATE"))
        acls += _each("group", names.group, ("READ",))
        acls += _each("topic", names.dead_letter_topic, ("WRITE", "DESCRIBE", "CREATE"))
    if workload.kind == "operator":
        for subscriber in SUBSCRIBER_NAMES:
            names = broker_names(settings, Subscription(subscriber.name, subscriber.event_type))
            # Reads a group's committed offsets and the topic's end offsets; creates the
            # topic and dead-letter topic of a subscriber scaled to zero.
            acls += _each("group", names.group, ("DESCRIBE",))
            acls += _each("topic", names.topic, ("DESCRIBE", "CREATE"))
            acls += _each("topic", names.dead_letter_topic, ("DESCRIBE", "CREATE"))
    if workload.kind == "tool":
        for subscriber in SUBSCRIBER_NAMES:
            names = broker_names(settings, Subscription(subscriber.name, subscriber.event_type))
            acls += _each("topic", names.dead_letter_topic, ("READ", "DESCRIBE"))
            acls += _each(
                "topic",
                f"{names.dead_letter_topic}.removed",
                ("READ", "WRITE", "DESCRIBE", "CREATE"),
            )
            acls += _each("topic", names.topic, ("WRITE", "DESCRIBE"))
        prefix = settings.kafka.topic_prefix
        acls += _each("group", prefix + DLQ_TOOL_GROUP_PREFIX, ("READ",), "PREFIXED")
        # Appends and reads; checks the topic is not compacted. No Delete.
        acls += _each(
            "topic", prefix + DLQ_AUDIT, ("READ", "WRITE", "DESCRIBE", "CREATE", "DESCRIBE_CONFIGS")
        )
    return acls


def _each(
    resource: str, name: str, operations: Sequence[str], pattern: str = "LITERAL"
) -> list[KafkaAcl]:
    return [KafkaAcl(resource, name, operation, pattern) for operation in operations]
