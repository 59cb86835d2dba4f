"""`python -m tests.smoke --users URL --orders URL [--jaeger URL]`: the API and trace
checks of `make smoke` (deploy/tools/smoke.sh), against port-forwarded services.
Exits 1 naming what failed."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import httpx

from tests.smoke.flow import ORDERS, place_orders
from tests.smoke.jaeger import fetch_trace
from tests.smoke.traces import TraceContext, problems


async def trace_is_whole(
    client: httpx.AsyncClient, jaeger_url: str, traced: TraceContext, timeout: float
) -> None:
    """Polls Jaeger until the trace is whole: spans arrive as each process exports them."""
    deadline = time.monotonic() + timeout
    found = ["not asked yet"]
    while time.monotonic() < deadline:
        spans = await fetch_trace(client, jaeger_url, traced.trace_id)
        found = problems(spans, traced) if spans else ["Jaeger does not know the trace yet"]
        if not found:
            services = sorted({span.service for span in spans})
            print(f"smoke: trace {traced.trace_id}: {len(spans)} spans from {services}")
            return
        await asyncio.sleep(1)
    raise AssertionError(f"trace {traced.trace_id}: {'; '.join(found)}")


async def main(args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        traced = await place_orders(client, args.users, args.orders, orders=args.count)
        print(f"smoke: {args.count} orders confirmed, the user's stats add up")
        if args.jaeger:
            await trace_is_whole(client, args.jaeger, traced, args.timeout)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.smoke", description=__doc__)
    parser.add_argument("--users", required=True, help="user-service base URL")
    parser.add_argument("--orders", required=True, help="order-service base URL")
    parser.add_argument("--jaeger", help="Jaeger query base URL (port 16686)")
    parser.add_argument("--count", type=int, default=ORDERS, help="orders to place")
    parser.add_argument("--timeout", type=float, default=120, help="seconds for the trace")
    return parser


if __name__ == "__main__":
    try:
        asyncio.run(main(parser().parse_args()))
    except (AssertionError, httpx.HTTPError) as exc:
        print(f"smoke: FAILED: {exc!r}", file=sys.stderr)
        sys.exit(1)
