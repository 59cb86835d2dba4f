"""Open-loop load: requests start on a fixed schedule whether or not earlier ones were
answered, so a slow system shows as latency and errors, not as a quietly lower rate.
At most ``concurrency`` requests are in flight; a start that has to wait for a slot
is late, and the tally says how often and how late."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TextIO

import httpx

from eda_cli.load import bodies
from eda_cli.load.clients import ClientPool
from eda_cli.load.plan import LoadPlan
from eda_cli.load.tally import LATE_S, Tally

Send = Callable[[int], Awaitable[str]]
"""Send the n-th request; return the status code, or the error's class name."""

HEALTHY = 200
CREATED = 201
ACCEPTED = 202


class ServiceUnreachableError(RuntimeError):
    pass


async def run_load(plan: LoadPlan, out: TextIO) -> int:
    headers = {"Authorization": f"Bearer {plan.token}"} if plan.token else {}
    clients = ClientPool(plan.concurrency, plan.timeout_s, headers)
    try:
        await check_reachable(clients, "user-service", plan.users_url)
        await check_reachable(clients, "order-service", plan.orders_url)
        rng = random.Random(plan.seed)
        run = uuid.uuid4().hex[:8]
        customers: list[str] = []
        users = Tally("users", CREATED)
        orders = Tally("orders", ACCEPTED)
        try:
            await paced(
                plan, users, plan.customers, _registering(clients, plan, run, customers), out
            )
            if not customers:
                print("eda load: no user could be registered; no orders placed", file=out)
                return 1
            await paced(plan, orders, plan.orders, _placing(clients, plan, rng, customers), out)
        finally:
            print("summary:", file=out)
            for tally in (users, orders):
                if tally.sent:
                    for line in tally.summary(plan.rate):
                        print(f"  {line}", file=out)
            out.flush()
    finally:
        await clients.aclose()
    return 0


async def check_reachable(clients: ClientPool, name: str, url: str) -> None:
    try:
        async with clients.client() as client:
            response = await client.get(f"{url}/healthz")
    except httpx.HTTPError as exc:
        raise ServiceUnreachableError(
            f"{name} is not reachable at {url} ({type(exc).__name__}: {exc or 'no answer'})"
        ) from exc
    if response.status_code != HEALTHY:
        raise ServiceUnreachableError(
            f"{name} at {url} answered {response.status_code} to GET /healthz"
        )


async def paced(plan: LoadPlan, tally: Tally, count: int, send: Send, out: TextIO) -> None:
    """Start ``count`` requests at ``plan.rate`` per second; return when all are answered."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(plan.concurrency)
    in_flight: set[asyncio.Task[None]] = set()
    origin = loop.time()
    tally.started_at = time.monotonic()
    reporter = asyncio.create_task(_report(tally, plan.progress_every_s, out))

    def finished(task: asyncio.Task[None]) -> None:
        in_flight.discard(task)
        slots.release()

    try:
        for index in range(count):
            scheduled = origin + index / plan.rate
            delay = scheduled - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing: the next start is due then
            asked = loop.time()
            await slots.acquire()
            started = loop.time()
            tally.started(started - scheduled, waited_for_slot=started - asked > LATE_S)
            # Latency runs from the scheduled start: waiting for a slot counts.
            task = asyncio.create_task(_timed(send, index, tally, scheduled - loop.time()))
            in_flight.add(task)
            task.add_done_callback(finished)
        if in_flight:
            await asyncio.wait(set(in_flight))
    finally:
        for task in in_flight:
            task.cancel()
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        print(tally.progress_line(time.monotonic()), file=out, flush=True)


async def _timed(send: Send, index: int, tally: Tally, head_start_s: float) -> None:
    started = time.monotonic() + head_start_s
    outcome = await send(index)
    tally.answered(outcome, time.monotonic() - started)


async def _report(tally: Tally, every_s: float, out: TextIO) -> None:
    while True:
        await asyncio.sleep(every_s)
        print(tally.progress_line(time.monotonic()), file=out, flush=True)


def _registering(clients: ClientPool, plan: LoadPlan, run: str, customers: list[str]) -> Send:
    async def register(index: int) -> str:
        try:
            async with clients.client() as client:
                response = await client.post(
                    f"{plan.users_url}/users", json=bodies.user(run, index)
                )
        except httpx.HTTPError as exc:
            return type(exc).__name__
        if response.status_code == CREATED:
            customers.append(str(response.json()["id"]))
        return str(response.status_code)

    return register


def _placing(clients: ClientPool, plan: LoadPlan, rng: random.Random, customers: list[str]) -> Send:
    async def place(_: int) -> str:
        body = bodies.order(rng, rng.choice(customers))
        try:
            async with clients.client() as client:
                response = await client.post(f"{plan.orders_url}/orders", json=body)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return str(response.status_code)

    return place
