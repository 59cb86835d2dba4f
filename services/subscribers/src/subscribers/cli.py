"""``subscriber <event type>``: run the subscriber process for one event type."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import pymysql

from shared.event_loop import run_on_uvloop
from shared.heap import freeze_startup_heap
from shared.links import LinkMisconfigured
from shared.messaging import check_routes
from shared.settings import SettingsError, load_settings, with_service_defaults
from shared.telemetry.setup import TelemetrySetupError, init_telemetry
from subscribers.catalog import SUBSCRIBERS, UnknownSubscriberError, subscriber_for
from subscribers.runner import run_subscriber

DEFAULT_PORT = 8080


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        subscriber = subscriber_for(args.event_type)
        init_telemetry(subscriber.name)
        settings = with_service_defaults(
            load_settings(), source=subscriber.source, database=subscriber.database
        )
        check_routes(settings)
        freeze_startup_heap()
        run_on_uvloop(run_subscriber(subscriber, settings, args.host, args.port))
    except (UnknownSubscriberError, SettingsError, TelemetrySetupError, LinkMisconfigured) as exc:
        return _fail(str(exc))
    except (pymysql.err.OperationalError, OSError) as exc:
        return _fail(f"cannot reach a dependency: {exc}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="subscriber",
        description="Consume one event type and run its handler. Known event types: "
        + ", ".join(sorted(SUBSCRIBERS)),
    )
    parser.add_argument("event_type", help="the event type to consume, e.g. order.placed")
    parser.add_argument("--host", default="127.0.0.1", help="health endpoint interface")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"health endpoint port ({DEFAULT_PORT})"
    )
    return parser


def _fail(message: str) -> int:
    print(f"subscriber: {message}", file=sys.stderr)
    return 1
