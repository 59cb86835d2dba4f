"""eda load: register users, then place orders at a steady rate, against a running system."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from eda_cli.load.plan import LoadPlan
from eda_cli.load.runner import ServiceUnreachableError, run_load

INTERRUPTED = 130
TOKEN_VARIABLE = "EDA_LOAD_TOKEN"  # noqa: S105 - the variable's name, not a token
"""A bearer token for services with EDA_AUTH__ENABLED: from the environment, never
from the command line, where every process listing would show it."""


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "load",
        help="register users and place orders at a steady rate",
        description=__doc__,
        epilog=f"With EDA_AUTH__ENABLED on the services, put an admin bearer token in"
        f" {TOKEN_VARIABLE}.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rate", type=_positive_float, default=50.0, help="orders per second")
    parser.add_argument(
        "--duration", type=_positive_float, default=60.0, help="seconds of placing orders"
    )
    parser.add_argument("--users", default="http://127.0.0.1:8001", help="user-service base URL")
    parser.add_argument("--orders", default="http://127.0.0.1:8002", help="order-service base URL")
    parser.add_argument(
        "--customers",
        type=_positive_int,
        default=100,
        help="users registered first (at the same rate); the orders are theirs",
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=200, help="requests in flight at most"
    )
    parser.add_argument(
        "--progress-every", type=_positive_float, default=5.0, help="seconds between lines"
    )
    parser.add_argument("--timeout", type=_positive_float, default=10.0, help="seconds per request")
    parser.add_argument("--seed", type=int, help="seed for the generated orders")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    plan = LoadPlan(
        rate=args.rate,
        duration_s=args.duration,
        users_url=args.users.rstrip("/"),
        orders_url=args.orders.rstrip("/"),
        customers=args.customers,
        concurrency=args.concurrency,
        progress_every_s=args.progress_every,
        timeout_s=args.timeout,
        seed=args.seed,
        token=os.environ.get(TOKEN_VARIABLE) or None,
    )
    print(
        f"eda load: {plan.customers} users, then {plan.orders} orders at {plan.rate:g}/s"
        f" for {plan.duration_s:g} s ({plan.users_url}, {plan.orders_url})",
        flush=True,
    )
    try:
        return asyncio.run(run_load(plan, sys.stdout))
    except ServiceUnreachableError as exc:
        print(f"eda load: {exc}; is the system running (make run)?", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return INTERRUPTED


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value
