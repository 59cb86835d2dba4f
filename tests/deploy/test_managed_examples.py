"""The worked values of docs/deploy.md's "Connecting to managed infrastructure" are
what a user pastes on top of values-staging.yaml: each must render, and each must
reach the containers as the settings it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.chart import CHART, REPO, documents, helm, of_kind

DOCS = REPO / "docs" / "deploy.md"
SECTION = "## Connecting to managed infrastructure"


def examples() -> list[str]:
    text = DOCS.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    blocks = re.findall(r"```yaml\n(.*?)```", text[start:end], re.S)
    return [_dedent(block) for block in blocks]


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines) + "\n"


def test_the_section_has_an_example_per_provider() -> None:
    # Confluent, MSK, Aiven, CloudAMQP/Amazon MQ, RDS/Cloud SQL, the DDL/DML users.
    assert len(examples()) >= 6


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.splitlines()[0].rstrip(":"))
def test_each_example_renders_on_top_of_the_staging_values(example: str, tmp_path: Path) -> None:
    values = tmp_path / "example.yaml"
    values.write_text(example)
    rendered = helm(
        "template", "eda", str(CHART), "-f", str(CHART / "values-staging.yaml"), "-f", str(values)
    )
    assert rendered.returncode == 0, rendered.stderr
    settings = _settings_of(rendered.stdout)
    given = yaml.safe_load(example)
    security = given.get("kafka", {}).get("security", {})
    if "protocol" in security:
        assert settings["EDA_KAFKA__SECURITY_PROTOCOL"] == security["protocol"]
    if security.get("tls", {}).get("clientCertificate"):
        assert settings["EDA_KAFKA__SSL_CERTFILE"] == "/etc/eda/kafka/tls/tls.crt"
    mode = given.get("mysql", {}).get("tls", {}).get("mode")
    if mode:
        assert settings["EDA_MYSQL__SSL_MODE"] == mode


def _settings_of(rendered: str) -> dict[str, str]:
    """The plain-valued env of the order-service's API container."""
    deployments = of_kind(documents(rendered), "Deployment")
    (name,) = [name for name in deployments if name.endswith("order-service")]
    (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
