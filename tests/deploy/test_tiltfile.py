"""The Tiltfile, executed with stand-ins for Tilt's builtins, asks for the images the
chart uses, the chart with the local values, the port-forwards and the dependencies
of the dev loop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.chart import CHART, REPO, Manifest, documents, render
from tests.deploy.dockerfile import DOCKERFILES, entrypoint, parse
from tests.deploy.tiltfile import Run, TiltfileError, execute

INFRASTRUCTURE = {"kafka", "rabbitmq", "mysql", "jaeger"}


@pytest.fixture(scope="module")
def run() -> Run:
    return execute()


@pytest.fixture(scope="module")
def tilt_render(run: Run) -> list[Manifest]:
    """The chart as the Tiltfile's helm() call renders it."""
    (call,) = run.of("helm")
    values = [arg for path in call["values"] for arg in ("--values", str(REPO / path))]
    sets = [arg for pair in call["set"] for arg in ("--set", pair)]
    return documents(render("values.yaml", *values, *sets))


def _workloads(manifests: list[Manifest]) -> dict[str, Manifest]:
    return {
        m["metadata"]["name"]: m
        for m in manifests
        if m["kind"] in {"Deployment", "StatefulSet", "Job"}
    }


def test_the_chart_with_local_values_goes_to_the_cluster(run: Run) -> None:
    (call,) = run.of("helm")
    assert REPO / call["pathToChartDir"] == CHART
    assert call["values"] == ["deploy/helm/eda/values-local.yaml"]
    assert (call["name"], call["namespace"]) == ("eda", "eda")
    assert "liveUpdate.enabled=true" in call["set"]
    assert {"blob": "helm", **call} in [y["yaml"] for y in run.of("k8s_yaml")]
    assert run.of("allow_k8s_contexts") == [{"contexts": "kind-eda"}]


def test_it_refuses_any_other_cluster() -> None:
    with pytest.raises(TiltfileError, match="deploys only to kind-eda"):
        execute(context="production")


def test_every_image_built_is_used_by_the_chart_and_every_image_used_is_built(
    run: Run, tilt_render: list[Manifest]
) -> None:
    used = {
        container["image"].rsplit(":", 1)[0]
        for workload in _workloads(tilt_render).values()
        for container in workload["spec"]["template"]["spec"]["containers"]
        if container["image"].startswith("eda/")
    }
    assert set(run.images()) == used == {
        "eda/user-service", "eda/order-service", "eda/subscriber", "eda/operator",
    }  # fmt: skip


def test_images_restart_their_own_entry_point_after_a_sync(
    run: Run, built_images: dict[str, Path]
) -> None:
    for ref, image in run.images().items():
        dockerfile = REPO / image["dockerfile"]
        assert dockerfile.parent == DOCKERFILES
        assert image["context"] == "."
        assert image["entrypoint"] == entrypoint(parse(dockerfile))
        assert image["build_args"] == {"VENV_OWNER": "10001:10001"}
        first, *syncs = image["live_update"]
        assert set(first["fall_back_on"]["files"]) == {"uv.lock", "pyproject.toml"}
        assert syncs
        root = built_images[dockerfile.name.removesuffix(".Dockerfile")]
        for step in syncs:
            local, remote = step["sync"]["local_path"], step["sync"]["remote_path"]
            assert (REPO / local).is_dir(), ref
            # The synced folder replaces the installed copy of the same package.
            installed = root / remote.lstrip("/")
            assert installed.is_dir(), f"{ref}: {remote} is not in the image's venv"
            assert {p.name for p in (REPO / local).glob("*.py")} <= {
                p.name for p in installed.glob("*.py")
            }
        assert image["restart_file"].startswith("/opt/venv/")


def test_without_live_update_the_images_are_plain_builds() -> None:
    run = execute(settings={"live_update": False})
    assert run.of("docker_build_with_restart") == []
    assert len(run.of("docker_build")) == 4
    (call,) = run.of("helm")
    assert "liveUpdate.enabled=true" not in call["set"]


def test_port_forwards_for_both_apis_jaeger_and_the_rabbitmq_console(
    run: Run, tilt_render: list[Manifest]
) -> None:
    workloads = _workloads(tilt_render)
    forwards = {}
    for resource in run.of("k8s_resource"):
        for forward in resource.get("port_forwards", []):
            spec = forward["port_forward"]
            forwards[spec["local_port"]] = (resource["workload"], spec["container_port"])
    assert set(forwards) == {8001, 8002, 16686, 15672}
    for local_port, (workload, container_port) in forwards.items():
        (container,) = workloads[workload]["spec"]["template"]["spec"]["containers"]
        assert container_port in {p["containerPort"] for p in container["ports"]}, local_port
    assert forwards[8001][0] == "eda-user-service"
    assert forwards[8002][0] == "eda-order-service"


def test_every_workload_is_a_named_labelled_resource_and_apps_wait_for_infra_and_migrations(
    run: Run, tilt_render: list[Manifest]
) -> None:
    resources = run.resources()
    configured = {r["workload"] for r in run.of("k8s_resource")}
    assert configured == set(_workloads(tilt_render))
    for name, resource in resources.items():
        assert resource.get("labels"), name
        for dependency in resource.get("resource_deps", []):
            assert dependency in resources, f"{name} depends on unknown {dependency}"
    for migration in ("user-service-migrate", "order-service-migrate"):
        assert resources[migration]["resource_deps"] == ["mysql"]
    for name, resource in resources.items():
        labels = resource["labels"]
        if "apis" in labels or "subscribers" in labels:
            deps = set(resource["resource_deps"])
            assert {"kafka", "rabbitmq"} <= deps, name
            assert any(d.endswith("-migrate") for d in deps), name
    assert {n for n, r in resources.items() if "infra" in r["labels"]} == INFRASTRUCTURE


def test_load_is_a_manual_button_after_the_apis(run: Run) -> None:
    (load,) = run.of("local_resource")
    assert load["name"] == "load"
    assert "eda load --rate 300 --duration 120" in load["cmd"]
    assert load["trigger_mode"] == "TRIGGER_MODE_MANUAL"
    assert load["auto_init"] is False
    assert set(load["resource_deps"]) == {"user-service", "order-service"}


def test_settings_file_overrides_the_defaults() -> None:
    run = execute(settings={"load_rate": 50, "set": ["operator.enabled=false"]})
    (load,) = run.of("local_resource")
    assert "--rate 50 " in load["cmd"]
    (call,) = run.of("helm")
    assert call["set"][0] == "operator.enabled=false"


@pytest.mark.parametrize(
    "statement",
    [
        'docker_build("eda/x", ".", dockerfil="Dockerfile")',
        'k8s_resource("eda-kafka", port_forward=[])',
        'helm("deploy/helm/eda", "eda", "eda", [], [], "", False, "extra")',
        'local_resource("load")',
        'port_forward(name="no port")',
    ],
)
def test_the_stand_ins_refuse_what_tilt_refuses(statement: str, tmp_path: Path) -> None:
    tiltfile = tmp_path / "Tiltfile"
    tiltfile.write_text(statement + "\n")
    with pytest.raises(TiltfileError):
        execute(tiltfile)


def test_a_misspelt_builtin_fails(tmp_path: Path) -> None:
    tiltfile = tmp_path / "Tiltfile"
    tiltfile.write_text('k8s_resources("eda-kafka")\n')
    with pytest.raises(TiltfileError, match="k8s_resources"):
        execute(tiltfile)
