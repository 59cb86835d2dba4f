"""eda dlq: list, show, replay and purge the messages subscribers dead-lettered.

Works on Kafka and RabbitMQ, with the EDA_* settings the services use: the broker
of a subscriber is the one the routing settings (EDA_DEFAULT_BROKER, EDA_ROUTES)
give its event type, unless --broker names another. A replay goes only to the
subscriber's own topic or queue. Every list, show, replay and purge is written to
the audit record on that broker first (eda dlq audit reads it); when it cannot be,
nothing is done.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from aio_pika.exceptions import AMQPError
from aiokafka.errors import KafkaError

from eda_cli.dlq.audit import AuditUnavailableError, actor
from eda_cli.dlq.audit_command import audit_action, since
from eda_cli.dlq.connect import open_audit, open_store
from eda_cli.dlq.origins import source_of
from eda_cli.dlq.records import DeadLetter
from eda_cli.dlq.render import letter_detail, letter_summary, letters_table, table
from eda_cli.dlq.review import DeclinedError, Review
from eda_cli.dlq.store import BrokerUnreachableError, DeadLetterNotFoundError, Outcome, Progress
from eda_cli.dlq.targets import Target, UnknownSubscriberError, every_target, resolve
from shared.links import LinkMisconfigured
from shared.messaging import check_routes
from shared.settings import BrokerKind, Settings, SettingsError, load_settings

USAGE_ERROR = 2
REFUSED = 3
INTERRUPTED = 130
DEFAULT_LIMIT = 50
_CLIENT_LOGGERS = ("aiokafka", "aio_pika", "aiormq")

Action = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dlq",
        help="list, show, replay or purge dead-lettered messages",
        description=__doc__,
        epilog="Semantics per broker and example output: docs/dead-letters.md",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(run=run)
    actions = parser.add_subparsers(dest="dlq_action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--broker",
        choices=[kind.value for kind in BrokerKind],
        help="look on this broker instead of the one the routing settings choose",
    )
    common.add_argument(
        "--event-type", help="the event type of a subscriber that shared.subscribers does not list"
    )
    common.add_argument(
        "--actor",
        help="who is acting, for the audit record (default: $EDA_DLQ_ACTOR, else the OS user)",
    )

    listing = actions.add_parser(
        "list",
        parents=[common],
        help="dead letters per subscriber, or one subscriber's, oldest first",
        description="Without SUBSCRIBER: how many dead letters each subscriber has."
        " With it: one line per dead letter (id, event type, when, attempts, event id,"
        " reason).",
    )
    listing.add_argument("subscriber", nargs="?", help="e.g. orders.order-placed")
    listing.add_argument(
        "--limit", type=_positive_int, default=DEFAULT_LIMIT, help="lines at most (default 50)"
    )
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(action=list_action)

    show = actions.add_parser(
        "show", parents=[common], help="one dead letter: headers, reason and body"
    )
    show.add_argument("subscriber")
    show.add_argument("id", help="as `eda dlq list SUBSCRIBER` shows it")
    show.set_defaults(action=show_action)

    replay = actions.add_parser(
        "replay",
        parents=[common],
        help="publish dead letters back to the subscriber, then remove them",
        description="Publish the original bytes back to the subscriber's own topic or"
        " queue; each is removed from the dead letters only after the broker confirmed"
        " its publication. Each one's sha256 and source are shown first; one whose"
        " recorded origin is not the subscriber's source is refused and kept (exit 3).",
    )
    replay.add_argument("subscriber")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", help="the dead letter to replay")
    which.add_argument("--all", action="store_true", help="every dead letter waiting now")
    replay.add_argument("--yes", action="store_true", help="do not ask before --all")
    replay.set_defaults(action=replay_action)

    purge = actions.add_parser("purge", parents=[common], help="drop every dead letter waiting now")
    purge.add_argument("subscriber")
    purge.add_argument("--yes", action="store_true", help="do not ask first")
    purge.set_defaults(action=purge_action)

    audit = actions.add_parser(
        "audit",
        parents=[common],
        help="who listed, showed, replayed or purged which dead letters, and when",
        description="The audit record (one entry per action, oldest first) on each broker"
        " a subscriber uses, or on --broker's. Reading it is recorded too.",
    )
    audit.add_argument(
        "--since",
        type=since,
        help="only entries from then on: an ISO 8601 date or time (UTC unless it says),"
        " or an age such as 30m, 12h, 7d",
    )
    audit.add_argument("--subscriber", help="only entries about this subscriber")
    audit.add_argument("--json", action="store_true", help="one JSON document per line")
    audit.set_defaults(action=audit_action)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings()
        check_routes(settings)
    except SettingsError as exc:
        return _fail(str(exc))
    try:
        with _quiet_client_logs():
            return asyncio.run(_act(args.action, args, settings))
    except KeyboardInterrupt:
        return INTERRUPTED


async def _act(action: Action, args: argparse.Namespace, settings: Settings) -> int:
    """The action, its expected failures as one line on stderr and an exit code."""
    try:
        return await action(args, settings)
    except UnknownSubscriberError as exc:
        return _fail(str(exc), USAGE_ERROR)
    except (
        AuditUnavailableError,
        BrokerUnreachableError,
        DeadLetterNotFoundError,
        LinkMisconfigured,
    ) as exc:
        return _fail(str(exc))
    except KafkaError as exc:
        return _fail(f"Kafka failed: {exc}")
    except AMQPError as exc:
        return _fail(f"RabbitMQ failed: {exc!r}")


async def list_action(args: argparse.Namespace, settings: Settings) -> int:
    if args.subscriber is None:
        return await _overview(args, settings, as_json=args.json)
    target = _target(args, settings)
    async with (
        open_store(settings, target) as store,
        open_audit(settings, target.broker, actor(args.actor)) as auditor,
    ):
        total = await store.count()
        letters = await store.read(args.limit) if total else []
        location = store.location
        await auditor.record("list", target.subscriber, letters=letters, total=total)
    if args.json:
        document = {
            "subscriber": target.subscriber,
            "event_type": target.event_type,
            "broker": target.broker.value,
            "location": location,
            "total": total,
            "dead_letters": [letter_summary(letter) for letter in letters],
        }
        _say(json.dumps(document, indent=2))
        return 0
    _say(f"{target.subscriber} ({target.broker.value}, {location}): {_count(total)}")
    if letters:
        _say(letters_table(letters))
    if total is not None and total > len(letters):
        _say(f"... and {total - len(letters)} more (raise --limit to see them)")
    return 0


async def show_action(args: argparse.Namespace, settings: Settings) -> int:
    target = _target(args, settings)
    async with (
        open_store(settings, target) as store,
        open_audit(settings, target.broker, actor(args.actor)) as auditor,
    ):
        letter = await store.find(args.id)
        await auditor.record("show", target.subscriber, letters=[letter])
        _say(letter_detail(letter, target.subscriber, store.location))
    return 0


async def replay_action(args: argparse.Namespace, settings: Settings) -> int:
    target = _target(args, settings)
    source = source_of(settings, target)
    async with (
        open_store(settings, target) as store,
        open_audit(settings, target.broker, actor(args.actor)) as auditor,
    ):
        question = None
        limit = None
        if args.all:
            limit = await store.count() or 0
            if limit == 0:
                await auditor.record("replay", target.subscriber, total=0)
                _say(f"{target.subscriber}: no dead letters in {store.location}, nothing to replay")
                return 0
            if not args.yes:
                question = f"Replay {{count}} of {target.subscriber} to {source}?"
            _say(f"replaying {_count(limit)} from {store.location} ...")
        review = Review("replay", target.subscriber, auditor, question, source)
        try:
            outcome = await store.replay(args.id, limit, review.approve, _progress("replayed"))
        except DeclinedError:
            _say("aborted: nothing replayed")
            return 1
        outcome.refused = review.refused
        await auditor.record_outcome(
            "replay",
            target.subscriber,
            done=outcome.done,
            failed=outcome.failed,
            refused=outcome.refused,
        )
        return _summary("replayed", outcome, target, store.location)


async def purge_action(args: argparse.Namespace, settings: Settings) -> int:
    target = _target(args, settings)
    async with (
        open_store(settings, target) as store,
        open_audit(settings, target.broker, actor(args.actor)) as auditor,
    ):
        waiting = await store.count() or 0
        if waiting == 0:
            await auditor.record("purge", target.subscriber, total=0)
            _say(f"{target.subscriber}: no dead letters in {store.location}, nothing to purge")
            return 0
        question = None
        if not args.yes:
            question = f"Drop {{count}} of {target.subscriber} from {store.location} for good?"
        review = Review("purge", target.subscriber, auditor, question)
        try:
            outcome = await store.purge(waiting, review.approve, _progress("purged"))
        except DeclinedError:
            _say("aborted: nothing purged")
            return 1
        await auditor.record_outcome(
            "purge", target.subscriber, done=outcome.done, failed=outcome.failed, refused=[]
        )
        return _summary("purged", outcome, target, store.location)


async def _overview(args: argparse.Namespace, settings: Settings, *, as_json: bool) -> int:
    targets = every_target(settings, _broker(args))
    counts: list[tuple[Target, str, int | None]] = []
    for target in targets:
        async with open_store(settings, target) as store:
            counts.append((target, store.location, await store.count()))
    total = sum(count or 0 for _, _, count in counts)
    for broker in sorted({target.broker for target in targets}, key=lambda kind: kind.value):
        async with open_audit(settings, broker, actor(args.actor)) as auditor:
            await auditor.record(
                "list",
                None,
                counts={t.subscriber: n for t, _, n in counts if t.broker is broker},
            )
    if as_json:
        rows = [
            {
                "subscriber": target.subscriber,
                "event_type": target.event_type,
                "broker": target.broker.value,
                "location": location,
                "count": count,
            }
            for target, location, count in counts
        ]
        _say(json.dumps({"subscribers": rows, "total": total}, indent=2))
        return 0
    _say(
        table(
            ["SUBSCRIBER", "EVENT TYPE", "BROKER", "DEAD LETTERS", "STORED IN"],
            [
                [
                    target.subscriber,
                    target.event_type,
                    target.broker.value,
                    "-" if count is None else str(count),
                    location if count is not None else f"{location} (not created yet)",
                ]
                for target, location, count in counts
            ],
        )
    )
    _say(f"total: {_count(total)}")
    return 0


def _target(args: argparse.Namespace, settings: Settings) -> Target:
    return resolve(settings, args.subscriber, event_type=args.event_type, broker=_broker(args))


def _broker(args: argparse.Namespace) -> BrokerKind | None:
    return BrokerKind(args.broker) if args.broker else None


def _progress(verb: str) -> Progress:
    def report(letter: DeadLetter, where: str) -> None:
        shown = letter.event_id and letter.event_id != letter.id
        event = f", event {letter.event_id}" if shown else ""
        to = f" to {where}" if where else ""
        _say(f"{verb} {letter.id} ({letter.event_type or 'unknown type'}{event}){to}")

    return report


def _summary(verb: str, outcome: Outcome, target: Target, location: str) -> int:
    for letter, error in outcome.failed:
        _say(f"failed {letter.id}: {error} (kept in {location})")
    failed = f", {len(outcome.failed)} failed and kept" if outcome.failed else ""
    refused = f", {len(outcome.refused)} refused and kept" if outcome.refused else ""
    _say(f"{target.subscriber}: {verb} {_count(len(outcome.done))}{failed}{refused}")
    if outcome.refused:
        return REFUSED
    return 1 if outcome.failed else 0


@contextlib.contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """The broker clients log every failed connection attempt; the command reports
    the outcome in one line instead."""
    loggers = [logging.getLogger(name) for name in _CLIENT_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _count(number: int | None) -> str:
    if number is None:
        return "no dead-letter destination yet"
    return f"{number} dead letter" + ("" if number == 1 else "s")


def _say(text: str) -> None:
    print(text, flush=True)


def _fail(message: str, code: int = 1) -> int:
    print(f"eda dlq: {message}", file=sys.stderr, flush=True)
    return code


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value
