"""The chart's lifecycle, not its objects one by one: what exists when each hook runs,
what `--wait` waits for, and what a second render (Tilt renders with `helm template`)
changes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.chart import (
    REPO,
    VALUES_FILES,
    Manifest,
    documents,
    pod_templates,
    render,
    values_of,
)
from tests.deploy.lifecycle import (
    existing_from_values,
    hooks,
    migrated_databases,
    migration_jobs,
    missing_at_creation,
    pod_spec,
    ref,
    secrets_referenced,
)
from tests.deploy.tiltfile import execute


@pytest.mark.parametrize("action", ["install", "upgrade"])
@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_every_pod_finds_what_it_needs_when_helm_creates_it(
    values_file: str, action: str, manifests: dict[str, list[Manifest]]
) -> None:
    existing = existing_from_values(values_of(values_file))
    problems = [str(m) for m in missing_at_creation(manifests[values_file], action, existing)]
    assert problems == []


def test_staging_needs_beforehand_exactly_the_secrets_its_values_name(
    manifests: dict[str, list[Manifest]],
) -> None:
    """The Secrets a staging render refers to but does not create (credentials, CAs,
    the migration users, the operator's monitoring user) are the ones values name as
    existing: none forgotten by the check, none named and never used."""
    rendered = manifests["values-staging.yaml"]
    created = {ref(m) for m in rendered if m["kind"] == "Secret"}
    expected = existing_from_values(values_of("values-staging.yaml"))
    assert secrets_referenced(rendered) - created == expected
    assert {n for _, n in expected} >= {
        "eda-user-service-broker", "eda-orders-order-placed-broker", "eda-operator-broker",
        "eda-kafka-ca", "eda-rabbitmq-ca",
        "eda-rabbitmq-monitoring", "eda-mysql-ca", "eda-users-db-credentials",
        "eda-users-db-migration", "eda-orders-db-credentials", "eda-orders-db-migration",
    }  # fmt: skip


@pytest.mark.parametrize("action", ["install", "upgrade"])
def test_the_order_check_fails_for_each_staging_secret_left_off_the_list(
    action: str, manifests: dict[str, list[Manifest]]
) -> None:
    """A Secret referenced (by env or by volume) but missing from what exists beforehand
    fails the check, naming it: the migration users' and the database CA at the hooks."""
    rendered = manifests["values-staging.yaml"]
    existing = existing_from_values(values_of("values-staging.yaml"))
    for secret in sorted(existing):
        problems = list(missing_at_creation(rendered, action, existing - {secret}))
        assert problems, f"{secret} is not needed by any pod"
        assert all(problem.needed == {secret} for problem in problems)
        phases = {problem.phase for problem in problems}
        needed_by_hooks = secret[1] in {
            "eda-users-db-migration", "eda-orders-db-migration", "eda-mysql-ca"
        }  # fmt: skip
        assert (f"pre-{action}" in phases) == needed_by_hooks, (secret, phases)


def test_the_docs_create_every_secret_staging_needs() -> None:
    """docs/deploy.md's Staging Secrets: one `kubectl create secret` per Secret."""
    text = (REPO / "docs" / "deploy.md").read_text()
    section = text.split("### Staging Secrets", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    created = set(re.findall(r"kubectl -n eda create secret generic ([a-z0-9-]+)", section))
    expected = {n for _, n in existing_from_values(values_of("values-staging.yaml"))}
    assert created == expected


def test_the_order_check_sees_a_hook_that_needs_an_ordinary_object() -> None:
    """A pre-install hook Job using the release's own ServiceAccount: the API server
    refuses its pod, as it refused the first staging install."""
    account = {"kind": "ServiceAccount", "metadata": {"name": "eda-app"}}
    job: Manifest = {
        "kind": "Job",
        "metadata": {"name": "migrate", "annotations": {"helm.sh/hook": "pre-install"}},
        "spec": {"template": {"metadata": {}, "spec": {"serviceAccountName": "eda-app",
                                                       "containers": [{"name": "m"}]}}},
    }  # fmt: skip
    (problem,) = missing_at_creation([account, job], "install", set())
    assert str(problem) == "pre-install: Job migrate needs ServiceAccount eda-app"
    # The same Job after the release's objects has what it needs.
    job["metadata"]["annotations"]["helm.sh/hook"] = "post-install"
    assert list(missing_at_creation([account, job], "install", set())) == []


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_under_wait_no_workload_waits_for_a_post_install_hook(
    values_file: str, manifests: dict[str, list[Manifest]]
) -> None:
    """`helm install --wait` runs post-install hooks only once every ordinary workload
    is ready: a workload that needs a migration from such a hook never becomes ready.
    Every pod on a database starts on a schema migrated before it, or migrates it."""
    rendered = manifests[values_file]
    jobs = migration_jobs(rendered)
    waiting = []
    for manifest in rendered:
        if hooks(manifest) or pod_spec(manifest) is None or manifest["kind"] == "Job":
            continue
        database = manifest["spec"]["template"]["metadata"]["labels"].get("eda.dev/database")
        if database is None or database in migrated_databases(manifest):
            continue
        before = jobs.get(database, set())
        if not {"pre-install", "pre-upgrade"} <= before:
            waiting.append(f"{manifest['kind']} {manifest['metadata']['name']} ({database})")
    assert waiting == []


def test_the_wait_check_sees_a_workload_waiting_for_a_post_install_migration() -> None:
    deployment: Manifest = {
        "kind": "Deployment",
        "metadata": {"name": "api"},
        "spec": {"template": {"metadata": {"labels": {"eda.dev/database": "users"}},
                              "spec": {"containers": [{"name": "api"}]}}},
    }  # fmt: skip
    job: Manifest = {
        "kind": "Job",
        "metadata": {"name": "m", "labels": {"eda.dev/role": "migration"},
                     "annotations": {"helm.sh/hook": "post-install,pre-upgrade"}},
        "spec": {"template": {"metadata": {"labels": {"eda.dev/database": "users"}}}},
    }  # fmt: skip
    assert migration_jobs([deployment, job]) == {"users": {"post-install", "pre-upgrade"}}
    assert migrated_databases(deployment) == set()


def _tilt_render_args(tmp_path: Path) -> list[str]:
    """The values and `--set` pairs of the Tiltfile's helm() call."""
    (call,) = execute().of("helm")
    values = [arg for path in call["values"] for arg in ("--values", str(REPO / path))]
    return values + [arg for pair in call["set"] for arg in ("--set", pair)]


# Differences between two renders that are meant: values.yaml alone leaves every
# password empty, and the chart generates it. `helm install` stores it and every
# `helm upgrade` reads it back (lookup); a renderer without a cluster must pass
# passwords in values, as the local loop does with its credentials file.
DELIBERATE = {
    ("values.yaml", "Secret", "eda-db-users"),
    ("values.yaml", "Secret", "eda-db-orders"),
    ("values.yaml", "Secret", "eda-rabbitmq"),
    ("values.yaml", "Secret", "eda-mysql"),
}


def _stable_parts(manifests: list[Manifest]) -> dict[tuple[str, str], str]:
    parts = {
        ref(m): yaml.safe_dump(m, sort_keys=True)
        for m in manifests
        if m["kind"] in {"Secret", "ConfigMap"}
    }
    for workload, template in pod_templates(manifests):
        parts[ref(workload)] = yaml.safe_dump(template, sort_keys=True)
    return parts


@pytest.mark.parametrize("values_file", VALUES_FILES)
def test_two_renders_give_the_same_secrets_config_and_pods(
    values_file: str, tmp_path: Path
) -> None:
    """Tilt renders the chart anew on every `tilt up` and every edit; MySQL and
    RabbitMQ keep the credentials of their first start."""
    if values_file == "values-local.yaml":
        args = _tilt_render_args(tmp_path)
        first, second = (documents(render("values.yaml", *args)) for _ in range(2))
    else:
        first, second = (documents(render(values_file)) for _ in range(2))
    before, after = _stable_parts(first), _stable_parts(second)
    assert before.keys() == after.keys()
    changed = {(values_file, *key) for key in before if before[key] != after[key]}
    assert changed == {d for d in DELIBERATE if d[0] == values_file}
