"""``python -m tests.e2e.dashboard_picture``: docs/images/dashboard.png, the chart's
Grafana dashboard drawn from real data.

Runs the system as `make run` runs it (mixed routing), scrapes it with a private
Prometheus, drives it with `eda load` for a few minutes, then asks Prometheus for every
panel's queries over that time (a range query each) and draws one plot per panel, in
the dashboard's order. Grafana is not needed: the queries are the dashboard's own."""

from __future__ import annotations

import asyncio
import logging
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from eda_local.tansu import running_tansu
from tests.deploy.monitoring import panel_queries, substitute
from tests.e2e.system import BIN, running_system, scrape_targets
from tests.support.polling import eventually
from tests.support.prometheus import Prometheus, running_prometheus

PICTURE = Path(__file__).parents[2] / "docs" / "images" / "dashboard.png"
LOAD_S = 150
RATE = 40

log = logging.getLogger("dashboard")


async def _range(prometheus: Prometheus, expr: str, start: float, end: float) -> Any:
    answer = await prometheus.http.get(
        f"{prometheus.url}/api/v1/query_range",
        params={"query": expr, "start": start, "end": end, "step": 5},
    )
    answer.raise_for_status()
    return answer.json()["data"]["result"]


async def _load(system_users: str, system_orders: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(BIN / "eda"), "load", "--users", system_users, "--orders", system_orders,
        "--rate", str(RATE), "--duration", str(LOAD_S), "--customers", "50",
    )  # fmt: skip
    await process.wait()


async def _draw(work: Path) -> None:
    with running_tansu(log_path=work / "tansu.log") as kafka:
        async with (
            running_system("mixed", kafka, work) as system,
            running_prometheus(work / "prometheus", interval_s=2) as prometheus,
        ):
            found = scrape_targets(system)
            prometheus.set_targets(found)

            async def scraped() -> bool:
                return len(await prometheus.targets_up()) == len(found)

            await eventually(scraped, timeout=60, what="every process scraped")
            start = time.time()
            log.info("eda load: %d orders/s for %d s", RATE, LOAD_S)
            await _load(system.users_url, system.orders_url)
            end = time.time()
            panels: dict[str, list[tuple[str, Any]]] = {}
            for query in panel_queries():
                expr = substitute(query.expr, rate_interval="30s")
                series = await _range(prometheus, expr, start, end)
                panels.setdefault(query.panel, []).append((query.ref_id, series))
    _plot(panels, start)


def _plot(panels: dict[str, list[tuple[str, Any]]], start: float) -> None:
    columns = 3
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(18, 3.2 * rows), squeeze=False)
    for axis, (title, queries) in zip(axes.flat, panels.items(), strict=False):
        for ref_id, series in queries:
            for one in series:
                labels = ",".join(f"{v}" for k, v in one["metric"].items() if k != "__name__")
                xs = [float(t) - start for t, _ in one["values"]]
                ys = [float(v) for _, v in one["values"]]
                axis.plot(xs, ys, label=f"{ref_id} {labels}"[:48], linewidth=1)
        axis.set_title(title, fontsize=9)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("s", fontsize=7)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=5, loc="upper left")
    for axis in list(axes.flat)[len(panels) :]:
        axis.set_visible(False)
    figure.suptitle(f"eda dashboard queries, make run under eda load ({RATE} orders/s)")
    figure.tight_layout()
    PICTURE.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(PICTURE, dpi=80)
    log.info("wrote %s", PICTURE)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with tempfile.TemporaryDirectory(prefix="dashboard-") as work:
        asyncio.run(_draw(Path(work)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
