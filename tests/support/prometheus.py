"""A private Prometheus for a test: scrapes the targets the test lists (a file it
rewrites as processes come and go), evaluates the rule files it is given, and answers
the HTTP API. Debian's ``prometheus`` package provides the binary (``make servers``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from eda_local.tansu import free_port
from tests.support.polling import eventually


@dataclass(frozen=True)
class Target:
    """One process to scrape: ``host:port`` and the labels a PodMonitor would give it."""

    address: str
    labels: Mapping[str, str]


@dataclass
class Prometheus:
    url: str
    targets_file: Path
    http: httpx.AsyncClient

    def set_targets(self, targets: Sequence[Target]) -> None:
        """Replace the scraped targets; Prometheus watches the file and picks it up."""
        groups = [{"targets": [t.address], "labels": dict(t.labels)} for t in targets]
        staged = self.targets_file.with_suffix(".new")
        staged.write_text(json.dumps(groups))
        staged.replace(self.targets_file)

    async def query(self, promql: str) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{self.url}/api/v1/query", params={"query": promql})
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()["data"]["result"]
        return result

    async def alerts(self) -> list[dict[str, Any]]:
        answer = await self.http.get(f"{self.url}/api/v1/alerts")
        answer.raise_for_status()
        alerts: list[dict[str, Any]] = answer.json()["data"]["alerts"]
        return alerts

    async def firing(self, alertname: str, **labels: str) -> list[dict[str, Any]]:
        return [
            alert
            for alert in await self.alerts()
            if alert["state"] == "firing"
            and alert["labels"].get("alertname") == alertname
            and all(alert["labels"].get(k) == v for k, v in labels.items())
        ]

    async def targets_up(self) -> set[str]:
        answer = await self.http.get(f"{self.url}/api/v1/targets", params={"state": "active"})
        answer.raise_for_status()
        return {
            t["labels"].get("component", t["scrapeUrl"])
            for t in answer.json()["data"]["activeTargets"]
            if t["health"] == "up"
        }


def _config(targets_file: Path, rule_files: Sequence[Path], interval_s: float) -> dict[str, Any]:
    interval = f"{interval_s:g}s"
    return {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [
            {
                "job_name": "eda",
                "scrape_timeout": interval,
                "file_sd_configs": [{"files": [str(targets_file)]}],
            }
        ],
    }


def _prepared(work_dir: Path, rule_files: Sequence[Path], interval_s: float) -> Path:
    """Write the configuration and an empty target list; return the configuration."""
    work_dir.mkdir(parents=True, exist_ok=True)
    targets_file = work_dir / "targets.json"
    targets_file.write_text("[]")
    config = work_dir / "prometheus.yml"
    config.write_text(yaml.safe_dump(_config(targets_file, rule_files, interval_s)))
    return config


@contextlib.asynccontextmanager
async def running_prometheus(
    work_dir: Path, rule_files: Sequence[Path] = (), interval_s: float = 1.0
) -> AsyncIterator[Prometheus]:
    binary = shutil.which("prometheus")
    assert binary is not None, "prometheus is not installed: run make servers"
    config = _prepared(work_dir, rule_files, interval_s)
    log_path = work_dir / "prometheus.log"
    port = free_port()
    log = log_path.open("wb")
    process = await asyncio.create_subprocess_exec(
        binary,
        f"--config.file={config}",
        f"--web.listen-address=127.0.0.1:{port}",
        f"--storage.tsdb.path={work_dir / 'data'}",
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=10) as http:

            async def ready() -> bool:
                assert process.returncode is None, f"Prometheus exited: see {log_path}"
                try:
                    return (await http.get(f"{url}/-/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, timeout=60, interval=0.2, what="Prometheus ready")
            yield Prometheus(url, work_dir / "targets.json", http)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=20)
            except TimeoutError:
                process.kill()
                await process.wait()
