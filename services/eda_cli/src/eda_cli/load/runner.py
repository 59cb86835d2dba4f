"""One ``eda load`` run: check both services answer, register the users, then place
their orders open-loop (``pacing.open_loop``) with progress lines and a summary."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from typing import TextIO

import httpx

from eda_cli.load import bodies
from eda_cli.load.clients import ClientPool
from eda_cli.load.pacing import Send, open_loop
from eda_cli.load.plan import LoadPlan
from eda_cli.load.retries import post_with_key
from eda_cli.load.tally import Tally

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
    tally.started_at = time.monotonic()
    reporter = asyncio.create_task(_report(tally, plan.progress_every_s, out))
    try:
        await open_loop(send, tally, rate=plan.rate, count=count, concurrency=plan.concurrency)
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        print(tally.progress_line(time.monotonic()), file=out, flush=True)


async def _report(tally: Tally, every_s: float, out: TextIO) -> None:
    while True:
        await asyncio.sleep(every_s)
        print(tally.progress_line(time.monotonic()), file=out, flush=True)


def _registering(clients: ClientPool, plan: LoadPlan, run: str, customers: list[str]) -> Send:
    async def register(index: int) -> str:
        try:
            async with clients.client() as client:
                response = await post_with_key(
                    client, f"{plan.users_url}/users", json=bodies.user(run, index)
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
                response = await post_with_key(client, f"{plan.orders_url}/orders", json=body)
        except httpx.HTTPError as exc:
            return type(exc).__name__
        return str(response.status_code)

    return place
