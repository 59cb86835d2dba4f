"""The chart's alerts, evaluated by a real Prometheus that scrapes the system as
`make run` runs it, fire on real faults and resolve once the faults are gone; every
dashboard panel's query returns data while orders flow.

The rules are the chart's PrometheusRule as `helm template` renders it, with short
windows and `for:` durations set through values. Routing is mixed, so both brokers'
backlog metrics exist. Faults:

- a poison message to users.order-rejected → EdaDeadLetters;
- orders.user-deactivated killed, then started again → EdaComponentDown, then
  EdaComponentRestarting;
- orders.order-placed's own database link cut while orders are placed →
  EdaSubscriberStuck and EdaBacklogGrowing;
- the database link slowed → EdaApiLatencyHigh;
- the RabbitMQ link cut while orders are placed → EdaOutboxRowsOld and
  EdaOutboxRelayStalled (order.placed waits in the outbox);
- the database link cut → EdaApiUnavailable and EdaApiErrorRatio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
import yaml

from subscribers.catalog import SUBSCRIBERS
from tests.deploy.chart import documents, render
from tests.deploy.monitoring import panel_queries, substitute, write_rule_file
from tests.e2e.faulty_system import FaultySystem, faulty_system
from tests.e2e.system import RunningSystem, component, scrape_targets
from tests.support.fault_proxy import FaultProxy, fault_proxy
from tests.support.polling import eventually
from tests.support.prometheus import Prometheus, running_prometheus

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

POISONED = "order.rejected"  # on RabbitMQ with mixed routing; no flow here needs it
RESTARTED = "user.deactivated"
STUCK = "order.placed"  # on RabbitMQ: every order placed adds to its queue
FIRE_S = 90.0
RESOLVE_S = 120.0

# Short windows so that a fault shows within seconds; thresholds a fault crosses.
RULE_VALUES: dict[str, Any] = {
    "monitoring": {
        "rules": {
            "enabled": True,
            "matchNamespace": False,
            "deadLetters": {"window": "20s", "for": "0s"},
            "backlogGrowing": {"minBacklog": 3, "window": "10s", "for": "2s"},
            "subscriberStuck": {"idleSeconds": 5, "for": "2s"},
            "outboxRowsOld": {"ageSeconds": 5, "for": "2s"},
            "relayStalled": {"idleSeconds": 5, "for": "2s"},
            "apiErrorRatio": {"ratio": 0.05, "window": "10s", "for": "0s"},
            "apiUnavailable": {"perSecond": 0, "window": "10s", "for": "0s"},
            "apiLatency": {"p99Seconds": 2, "window": "10s", "for": "0s"},
            "componentDown": {"for": "2s"},
            "componentRestarting": {"restarts": 0, "window": "20s", "for": "0s"},
        }
    }
}


def rule_file(directory: Path) -> Path:
    values = directory / "rule-values.yaml"
    values.write_text(yaml.safe_dump(RULE_VALUES))
    manifests = documents(render("values.yaml", "-f", str(values)))
    written: Path = write_rule_file(manifests, directory / "rules.yaml")
    return written


class Orders:
    """One client placing an order for a known customer every ``pause_s``, whatever the
    answers: the traffic the alerts watch. Answers are counted, not checked."""

    def __init__(self, system: RunningSystem, user_id: str) -> None:
        self.system, self.user_id = system, user_id
        self.answers: Counter[int | str] = Counter()
        self.pause_s = 0.1

    async def run(self, client: httpx.AsyncClient) -> None:
        body = {
            "user_id": self.user_id,
            "currency": "EUR",
            "items": [{"sku": "book", "quantity": 1, "unit_price": "1.00"}],
        }
        while True:
            try:
                response = await client.post(f"{self.system.orders_url}/orders", json=body)
                self.answers[response.status_code] += 1
            except httpx.HTTPError as error:
                self.answers[type(error).__name__] += 1
            await asyncio.sleep(self.pause_s)  # the client's pace, not a wait


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def watched(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[FaultySystem, Prometheus, Orders, FaultProxy]]:
    work = tmp_path_factory.mktemp("alerts")
    rules = rule_file(work)
    async with faulty_system("mixed", work) as faulty:
        system = faulty.system
        # The stuck subscriber reaches the database through a link of its own.
        mysql = faulty.links.mysql
        async with (
            fault_proxy("127.0.0.1", mysql.port) as own_link,
            running_prometheus(work / "prometheus", [rules]) as prometheus,
            httpx.AsyncClient(timeout=60) as client,
        ):
            stuck = STUCK.replace(".", "-")
            system.commands[stuck] = (
                f"EDA_MYSQL__PORT={own_link.port} EDA_RETRY__MAX_ATTEMPTS=10000 "
                f"EDA_RETRY__MAX_BACKOFF_S=1 {system.commands[stuck]}"
            )
            await system.kill(stuck)
            await system.start(stuck)
            await system.wait_ready(stuck)
            prometheus.set_targets(scrape_targets(system))
            await eventually(
                lambda: _all_up(prometheus, len(scrape_targets(system))),
                timeout=60,
                what="every process scraped",
            )
            user_id = await _known_customer(client, system)
            orders = Orders(system, user_id)
            placing = asyncio.create_task(orders.run(client))
            try:
                yield faulty, prometheus, orders, own_link
            finally:
                placing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await placing
                print(f"\norders placed while the alerts were watched: {dict(orders.answers)}")


async def _all_up(prometheus: Prometheus, count: int) -> bool:
    return len(await prometheus.targets_up()) == count


async def _known_customer(client: httpx.AsyncClient, system: RunningSystem) -> str:
    email = f"alerts.{time.time_ns()}@example.com"
    response = await client.post(f"{system.users_url}/users", json={"email": email, "name": "A"})
    assert response.status_code == 201, response.text
    user_id = str(response.json()["id"])

    async def projected() -> bool:
        return await system.customer_active(user_id) is True

    await eventually(projected, timeout=60, what="the customer projected")
    return user_id


async def _fires(prometheus: Prometheus, alertname: str, **labels: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = []
    seen: list[str] = []

    async def firing() -> bool:
        alerts = await prometheus.alerts()
        seen[:] = [f"{a['labels']} {a['state']}" for a in alerts]
        found[:] = await prometheus.firing(alertname, **labels)
        return bool(found)

    def missing() -> str:
        return f"{alertname} {labels} firing; alerts then: {seen}"

    await eventually(firing, timeout=FIRE_S, interval=0.5, what=missing)
    return found[0]


async def _resolves(prometheus: Prometheus, alertname: str, **labels: str) -> None:
    async def resolved() -> bool:
        return not [
            alert
            for alert in await prometheus.alerts()
            if alert["labels"].get("alertname") == alertname
            and all(alert["labels"].get(k) == v for k, v in labels.items())
        ]

    await eventually(
        resolved, timeout=RESOLVE_S, interval=0.5, what=f"{alertname} {labels or ''} resolved"
    )


def _annotated(alert: dict[str, Any], *names: str) -> None:
    """Each alert says whom it is about and where its runbook is."""
    annotations = alert["annotations"]
    assert alert["labels"]["severity"] in {"critical", "warning", "info"}
    assert "#" in annotations["runbook_url"]
    for name in names:
        assert name in annotations["description"], annotations


@contextlib.contextmanager
def _slowed(link: FaultProxy, seconds: float) -> Iterator[None]:
    link.delay_s = seconds
    try:
        yield
    finally:
        link.delay_s = 0.0


async def _poison(system: RunningSystem, event_type: str) -> None:
    """Bytes that are no CloudEvent, straight onto the event type's RabbitMQ routing key."""
    environment = system.environment
    url = environment.get("EDA_RABBITMQ__URL", "amqp://guest:guest@127.0.0.1:5672/")
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(environment["EDA_RABBITMQ__EXCHANGE"])
        await exchange.publish(aio_pika.Message(b"not json"), routing_key=event_type)


async def test_subscriber_faults_fire_their_alerts_and_resolve(
    watched: tuple[FaultySystem, Prometheus, Orders, FaultProxy],
) -> None:
    """Three subscribers at once: one gets poison, one is killed and restarted, one loses
    its database link while orders are placed."""
    faulty, prometheus, _, own_link = watched
    system = faulty.system
    restarted = RESTARTED.replace(".", "-")
    poisoned = SUBSCRIBERS[POISONED].name
    stuck = SUBSCRIBERS[STUCK].name

    await _poison(system, POISONED)
    await system.kill(restarted)
    own_link.cut()
    try:
        alert = await _fires(prometheus, "EdaDeadLetters", subscriber=poisoned)
        _annotated(alert, poisoned)
        alert = await _fires(prometheus, "EdaComponentDown", component=component(RESTARTED))
        _annotated(alert, component(RESTARTED))
        await system.start(restarted)
        await system.wait_ready(restarted)
        await _fires(prometheus, "EdaComponentRestarting", component=component(RESTARTED))
        _annotated(await _fires(prometheus, "EdaSubscriberStuck", subscriber=stuck), stuck)
        _annotated(await _fires(prometheus, "EdaBacklogGrowing", subscriber=stuck), stuck)
    finally:
        own_link.restore()
    await _resolves(prometheus, "EdaSubscriberStuck", subscriber=stuck)
    await _resolves(prometheus, "EdaBacklogGrowing", subscriber=stuck)
    await _resolves(prometheus, "EdaComponentDown", component=component(RESTARTED))
    await _resolves(prometheus, "EdaComponentRestarting", component=component(RESTARTED))
    await _resolves(prometheus, "EdaDeadLetters", subscriber=poisoned)


async def test_a_slow_database_fires_the_latency_alert(
    watched: tuple[FaultySystem, Prometheus, Orders, FaultProxy],
) -> None:
    faulty, prometheus, _, _ = watched
    with _slowed(faulty.links.mysql, 1.0):
        alert = await _fires(prometheus, "EdaApiLatencyHigh", service="order-service")
        _annotated(alert, "order-service")
    await _resolves(prometheus, "EdaApiLatencyHigh", service="order-service")


async def test_a_cut_broker_link_fires_the_outbox_alerts(
    watched: tuple[FaultySystem, Prometheus, Orders, FaultProxy],
) -> None:
    faulty, prometheus, _, _ = watched
    database = faulty.system.layout.orders_database
    faulty.links.rabbitmq.cut()
    try:
        _annotated(await _fires(prometheus, "EdaOutboxRowsOld", database=database), database)
        _annotated(await _fires(prometheus, "EdaOutboxRelayStalled", database=database), database)
    finally:
        faulty.links.rabbitmq.restore()
    await _resolves(prometheus, "EdaOutboxRowsOld", database=database)
    await _resolves(prometheus, "EdaOutboxRelayStalled", database=database)


async def test_a_cut_database_link_fires_the_unavailable_alerts(
    watched: tuple[FaultySystem, Prometheus, Orders, FaultProxy],
) -> None:
    faulty, prometheus, _, _ = watched
    faulty.links.mysql.cut()
    try:
        _annotated(
            await _fires(prometheus, "EdaApiUnavailable", service="order-service"),
            "order-service",
        )
        await _fires(prometheus, "EdaApiErrorRatio", service="order-service")
    finally:
        faulty.links.mysql.restore()
    await _resolves(prometheus, "EdaApiUnavailable", service="order-service")
    await _resolves(prometheus, "EdaApiErrorRatio", service="order-service")


async def test_every_dashboard_panel_query_returns_data(
    watched: tuple[FaultySystem, Prometheus, Orders, FaultProxy],
) -> None:
    """After the faults above, every series a panel draws exists (dead letters, 5xx)."""
    _, prometheus, _, _ = watched
    empty = []
    for query in panel_queries():
        if not await prometheus.query(substitute(query.expr, rate_interval="30s")):
            empty.append(f"{query.panel} [{query.ref_id}]: {query.expr}")
    assert not empty, "panels without data:\n" + "\n".join(empty)


def _alerts_no_test_names(directory: Path) -> set[str]:
    rules = yaml.safe_load(rule_file(directory).read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    source = Path(__file__).read_text()
    return {name for name in names if json.dumps(name) not in source}


async def test_the_rule_values_cover_every_alert(tmp_path: Path) -> None:
    """Every alert the chart renders is exercised by a test of this module."""
    assert _alerts_no_test_names(tmp_path) == set()
