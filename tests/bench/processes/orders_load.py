"""``python -m tests.bench.processes.orders_load URL``: ``POST /orders`` load for the api group.

The load of ``eda load`` (``eda_cli.load.pacing``) in a process of its own, so that its
CPU is not the server's. Two shapes:

- closed loop (``--clients N``): N clients each send a request, wait for the answer,
  send the next; latency is send → answer.
- open loop (``--rate R``): requests start at fixed times ``i / R`` whether or not
  earlier ones were answered; latency runs from the scheduled start, so a server
  (or a client connection pool) that falls behind shows as latency, not as a
  slower offered rate.

A warm-up period runs first and is not counted. Prints one JSON object on stdout.
``--client raw`` (the default) is the lean client of ``tests.bench.workloads.http_client``;
``--client httpx`` sends the same requests through the httpx clients of ``eda load``, to
compare their cost.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx

from eda_cli.load.clients import ClientPool
from eda_cli.load.pacing import Send, closed_loop, open_loop
from eda_cli.load.tally import Tally
from tests.bench.measure.latency import summarise
from tests.bench.workloads.http_client import HttpPool
from tests.bench.workloads.order_bodies import ORDERS_PATH, order_bodies

ACCEPTED = 202
HEADERS = {"content-type": "application/json"}
REQUEST_TIMEOUT_S = 30.0
BODIES = 2_000


@asynccontextmanager
async def raw_sender(
    url: str, connections: int, bodies: Sequence[bytes], keys: str | None = None
) -> AsyncIterator[Send]:
    pool = HttpPool(url, connections)
    try:
        yield pool.sender(ORDERS_PATH, bodies, keys)
    finally:
        await pool.close()


@asynccontextmanager
async def httpx_sender(url: str, connections: int, bodies: Sequence[bytes]) -> AsyncIterator[Send]:
    clients = ClientPool(connections, REQUEST_TIMEOUT_S, HEADERS)

    async def send(index: int) -> str:
        try:
            async with clients.client() as client:
                response = await client.post(
                    f"{url}{ORDERS_PATH}", content=bodies[index % len(bodies)]
                )
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return str(response.status_code)

    try:
        yield send
    finally:
        await clients.aclose()


def report(tally: Tally, args: argparse.Namespace, cpu_s: float) -> dict[str, object]:
    answered = len(tally.latencies_s)
    return {
        "mode": "open" if args.rate else "closed",
        "rate": args.rate,
        "clients": args.clients,
        "client": args.client,
        "duration_s": args.duration,
        "answered": answered,
        "ok": tally.ok,
        "errors": sum(tally.errors.values()),
        "statuses": dict(tally.outcomes),
        # closed loop: answers per second of the window; open loop: 202s per second from
        # the first answer to the last (below the offered rate when behind).
        "throughput": tally.ok_rate() if args.rate else answered / args.duration,
        "latency": summarise(tally.latencies_s).as_dict() if tally.latencies_s else None,
        "max_lag_ms": tally.latest_start_s * 1000,
        "cpu_s": cpu_s,
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    bodies = order_bodies(BODIES, seed=args.seed)
    connections = args.clients or args.connections
    tally = Tally("orders", ACCEPTED)
    if args.keys and args.client != "raw":
        raise SystemExit("--keys needs --client raw")
    keys = f"{uuid.uuid4().hex[:12]}" if args.keys else None
    sender = functools.partial(raw_sender, keys=keys) if args.client == "raw" else httpx_sender
    async with sender(args.url, connections, bodies) as send:
        cpu_before = time.process_time()
        if args.rate:
            await open_loop(
                send,
                tally,
                rate=args.rate,
                count=round(args.duration * args.rate),
                concurrency=connections,
                warmup=round(args.warmup * args.rate),
                grace_s=args.grace,
            )
        else:
            await closed_loop(
                send, tally, clients=args.clients, warmup_s=args.warmup, run_s=args.duration
            )
        cpu_s = time.process_time() - cpu_before
    return report(tally, args, cpu_s)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.processes.orders_load")
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:8002")
    shape = parser.add_mutually_exclusive_group(required=True)
    shape.add_argument("--clients", type=int, default=0, help="closed loop with N clients")
    shape.add_argument("--rate", type=float, default=0.0, help="open loop at R requests/s")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=2.0, help="uncounted seconds first")
    parser.add_argument("--grace", type=float, default=20.0, help="open loop: wait for answers")
    parser.add_argument("--connections", type=int, default=100, help="open loop: pool size")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--keys", action="store_true", help="an Idempotency-Key of its own on every request"
    )
    return parser


def main() -> None:
    print(json.dumps(asyncio.run(run(_parser().parse_args()))), flush=True)


if __name__ == "__main__":
    main()
