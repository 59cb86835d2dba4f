"""``python -m tests.bench.loadgen``: an HTTP load generator for ``POST /orders``.

Runs in its own process so that its CPU is not the server's. Two shapes:

- closed loop (``--clients N``): N clients each send a request, wait for the answer,
  send the next; latency is send → answer.
- open loop (``--rate R``): requests start at fixed times ``i / R`` whether or not
  earlier ones were answered; latency runs from the scheduled start, so a server
  (or a client connection pool) that falls behind shows as latency, not as a
  slower offered rate.

A warm-up period runs first and is not counted. Prints one JSON object on stdout.
``--client raw`` (the default) is the lean client of ``tests.bench.http_client``;
``--client httpx`` sends the same requests through httpx, to compare their cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from tests.bench.http_client import HttpPool
from tests.bench.latency import summarise
from tests.bench.order_bodies import order_bodies

ACCEPTED = 202
PATH = "/orders"
HEADERS = {"content-type": "application/json"}
REQUEST_TIMEOUT_S = 30.0
BODIES = 2_000

Send = Callable[[int], Awaitable[str]]
"""Send the n-th request (bodies are reused round-robin); the status code as text, or the
error's class name."""


@dataclass
class Tally:
    """Answers to the requests started inside the measured window."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    first_start: float = float("inf")
    first_answer: float = float("inf")
    last_answer: float = 0.0

    def record(self, status: str, started: float, answered: float) -> None:
        self.statuses[status] += 1
        self.latencies.append(answered - started)
        self.first_start = min(self.first_start, started)
        self.first_answer = min(self.first_answer, answered)
        self.last_answer = max(self.last_answer, answered)

    @property
    def ok(self) -> int:
        return self.statuses[str(ACCEPTED)]

    @property
    def errors(self) -> int:
        return sum(self.statuses.values()) - self.ok


@asynccontextmanager
async def raw_sender(url: str, connections: int, bodies: Sequence[bytes]) -> AsyncIterator[Send]:
    pool = HttpPool(url, connections)
    requests = [pool.json_post(PATH, body) for body in bodies]

    async def send(index: int) -> str:
        return await pool.send(requests[index % len(requests)])

    try:
        yield send
    finally:
        await pool.close()


@asynccontextmanager
async def httpx_sender(url: str, connections: int, bodies: Sequence[bytes]) -> AsyncIterator[Send]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=REQUEST_TIMEOUT_S) as client:

        async def send(index: int) -> str:
            try:
                response = await client.post(
                    PATH, content=bodies[index % len(bodies)], headers=HEADERS
                )
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return str(response.status_code)

        yield send


async def closed_loop(send: Send, clients: int, warmup_s: float, run_s: float) -> Tally:
    started = time.perf_counter()
    window_start = started + warmup_s
    window_end = window_start + run_s
    tally = Tally()

    async def one_client(number: int) -> None:
        index = number
        while (sent := time.perf_counter()) < window_end:
            status = await send(index)
            if sent >= window_start:
                tally.record(status, sent, time.perf_counter())
            index += clients

    await asyncio.gather(*(one_client(number) for number in range(clients)))
    return tally


async def open_loop(
    send: Send,
    rate: float,
    warmup_s: float,
    run_s: float,
    grace_s: float,
) -> tuple[Tally, float]:
    """Returns the answers and the largest delay of a start behind its schedule."""
    tally = Tally()
    warmup_count = round(warmup_s * rate)
    total = warmup_count + round(run_s * rate)
    in_flight: set[asyncio.Task[None]] = set()
    max_lag = 0.0

    async def one_request(index: int, scheduled: float) -> None:
        status = await send(index)
        if index >= warmup_count:
            tally.record(status, scheduled, time.perf_counter())

    origin = time.perf_counter()
    for index in range(total):
        scheduled = origin + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing, not synchronisation
        else:
            max_lag = max(max_lag, -delay)
        task = asyncio.create_task(one_request(index, scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        _, unfinished = await asyncio.wait(in_flight, timeout=grace_s)
        for task in unfinished:
            task.cancel()
        if unfinished:
            tally.statuses["unanswered"] += len(unfinished)
    return tally, max_lag


def report(
    tally: Tally, args: argparse.Namespace, max_lag: float, cpu_s: float
) -> dict[str, object]:
    answered = len(tally.latencies)
    span = max(tally.last_answer - tally.first_answer, 1e-9)
    return {
        "mode": "open" if args.rate else "closed",
        "rate": args.rate,
        "clients": args.clients,
        "client": args.client,
        "duration_s": args.duration,
        "answered": answered,
        "ok": tally.ok,
        "errors": tally.errors,
        "statuses": dict(tally.statuses),
        # closed loop: answers per second of the window; open loop: 202s per second from
        # the first answer to the last, (n - 1) / span as for every rate here (below the
        # offered rate when behind). n / (last answer - first start) counted n answers over
        # n - 1 intervals plus one latency: under the offered rate even when keeping pace.
        "throughput": (answered / args.duration if not args.rate else max(tally.ok - 1, 0) / span),
        "latency": summarise(tally.latencies).as_dict() if tally.latencies else None,
        "max_lag_ms": max_lag * 1000,
        "cpu_s": cpu_s,
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    bodies = order_bodies(BODIES, seed=args.seed)
    sender = raw_sender if args.client == "raw" else httpx_sender
    async with sender(args.url, args.clients or args.connections, bodies) as send:
        cpu_before = time.process_time()
        max_lag = 0.0
        if args.rate:
            tally, max_lag = await open_loop(
                send, args.rate, args.warmup, args.duration, args.grace
            )
        else:
            tally = await closed_loop(send, args.clients, args.warmup, args.duration)
        cpu_s = time.process_time() - cpu_before
    return report(tally, args, max_lag, cpu_s)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.loadgen")
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
    return parser


def main() -> None:
    print(json.dumps(asyncio.run(run(_parser().parse_args()))), flush=True)


if __name__ == "__main__":
    main()
