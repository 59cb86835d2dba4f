"""The Tiltfile, executed with stand-ins for Tilt's builtins, asks for the images the
chart uses, each built from what its Dockerfile copies, the chart with the local
values and credentials, the CRD before what needs it, the port-forwards and the
dependencies of the dev loop."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.deploy.chart import CHART, REPO, Manifest, documents, of_kind
from tests.deploy.dockerfile import (
    DOCKERFILES,
    base_images,
    entrypoint,
    ignore_patterns,
    ignored,
    parse,
)
from tests.deploy.tiltfile import CREDENTIALS_SCRIPT, Run, TiltfileError, execute

INFRASTRUCTURE = {"kafka", "rabbitmq", "mysql", "jaeger"}
CREDENTIALS = "deploy/kind/credentials.values.yaml"
# The values the credentials file sets, as the chart names them.
PASSWORDS = (
    ("mysql", "databases", "users", "password"),
    ("mysql", "databases", "orders", "password"),
    ("rabbitmq", "password"),
    ("infrastructure", "mysql", "rootPassword"),
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the Tiltfile's local() writes the credentials file, instead of deploy/kind/."""
    return tmp_path_factory.mktemp("tilt")


@pytest.fixture(scope="module")
def run(sandbox: Path) -> Run:
    return execute(sandbox=sandbox)


@pytest.fixture(scope="module")
def tilt_render(run: Run) -> list[Manifest]:
    """The objects the Tiltfile gives Tilt: the chart as its helm() call renders it."""
    return run.manifests


def _workloads(manifests: list[Manifest]) -> dict[str, Manifest]:
    return {
        m["metadata"]["name"]: m
        for m in manifests
        if m["kind"] in {"Deployment", "StatefulSet", "Job"}
    }


def _copied(dockerfile: Path) -> set[str]:
    """What the Dockerfile's COPY lines take from the build context, any stage."""
    sources = set()
    for stage in parse(dockerfile):
        for instruction in stage.of("COPY"):
            flags, words = instruction.flags_and_words()
            if "from" not in flags:
                sources |= {word.rstrip("/") for word in words[:-1]}
    return sources


def _in_context(image: dict[str, object], path: str) -> bool:
    """Tilt's `only`: the path is one of the listed paths or under one, and not
    excluded by .dockerignore either."""
    only = image["only"]
    assert isinstance(only, list)
    listed = any(path == entry or path.startswith(entry + "/") for entry in only)
    return listed and not ignored(path, ignore_patterns())


def _secrets(manifests: list[Manifest]) -> dict[str, dict[str, str]]:
    return {
        name: dict(m.get("stringData") or {}) for name, m in of_kind(manifests, "Secret").items()
    }


def test_the_chart_with_local_values_goes_to_the_cluster(run: Run) -> None:
    (call,) = run.of("helm")
    assert REPO / call["pathToChartDir"] == CHART
    assert call["values"][0] == "deploy/helm/eda/values-local.yaml"
    assert (call["name"], call["namespace"]) == ("eda", "eda")
    assert "liveUpdate.enabled=true" in call["set"]
    assert call.get("skip_crds") is not True  # the CRD comes with the chart
    namespace, chart = (y["yaml"]["blob"] for y in run.of("k8s_yaml"))
    assert documents(namespace) == [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "eda"}}
    ]
    assert "# Source: eda/crds/subscriberscalers.yaml" in chart
    assert run.of("allow_k8s_contexts") == [{"contexts": "kind-eda"}]


def test_the_chart_gets_the_local_credentials_so_every_render_has_the_same_passwords(
    run: Run, sandbox: Path
) -> None:
    in_repository = REPO / CREDENTIALS
    before = in_repository.read_bytes() if in_repository.exists() else None
    assert run.of("local") == [{"command": CREDENTIALS_SCRIPT, "quiet": True}]
    (call,) = run.of("helm")
    credentials = sandbox / CREDENTIALS
    assert call["values"] == ["deploy/helm/eda/values-local.yaml", str(credentials)]

    again = execute(sandbox=sandbox)  # Tilt re-executes the Tiltfile on every change
    assert _secrets(again.manifests) == _secrets(run.manifests)
    values = yaml.safe_load(credentials.read_text())
    stored = {value for data in _secrets(run.manifests).values() for value in data.values()}
    for path in PASSWORDS:
        password = values
        for key in path:
            password = password[key]
        assert password in stored, ".".join(path)
    assert (in_repository.read_bytes() if in_repository.exists() else None) == before


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
        assert image["only"]
        assert image["entrypoint"] == entrypoint(parse(dockerfile))
        # The base images make images builds on, and the venv the app user may write.
        assert image["build_args"] == {**base_images(), "VENV_OWNER": "10001:10001"}
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


def test_every_container_of_a_restarted_image_runs_what_the_chart_asks(
    run: Run, tilt_render: list[Manifest]
) -> None:
    """Tilt gives every container of an image built with `entrypoint` (init containers
    included) that entry point as its command, keeping the container's args
    (tilt-dev/tilt internal/k8s InjectCommandAndArgs walks every Container of the
    object). A container whose own command differs would run something else under
    Tilt: a subscriber-image init container would run `subscriber migrate`."""
    entrypoints = {ref: image["entrypoint"] for ref, image in run.images().items()}
    checked = 0
    for workload in _workloads(tilt_render).values():
        spec = workload["spec"]["template"]["spec"]
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            ref = container["image"].rsplit(":", 1)[0]
            if ref in entrypoints:
                label = f"{workload['metadata']['name']}/{container['name']}"
                assert container["command"] == entrypoints[ref], label
                checked += 1
    assert checked > len(entrypoints)  # init containers counted too


@pytest.mark.parametrize("live_update", [True, False])
def test_each_image_is_built_from_what_its_dockerfile_copies(live_update: bool) -> None:
    images = execute(settings={"live_update": live_update}).images()
    assert len(images) == 4
    for ref, image in images.items():
        # Every workspace manifest and the lockfile (uv reads the whole workspace), and
        # the sources this image installs.
        assert set(image["only"]) == _copied(REPO / image["dockerfile"]), ref
        assert {"uv.lock", "pyproject.toml", "services/user_service/pyproject.toml"} <= set(
            image["only"]
        )
    user_service_code = "services/user_service/src/user_service/__init__.py"
    assert not _in_context(images["eda/order-service"], user_service_code)
    assert not _in_context(images["eda/operator"], user_service_code)
    assert _in_context(images["eda/user-service"], user_service_code)
    assert _in_context(images["eda/subscriber"], user_service_code)  # it installs both services
    assert not _in_context(images["eda/user-service"], "docs/operator.md")


def test_without_live_update_the_images_are_plain_builds() -> None:
    run = execute(settings={"live_update": False})
    assert run.of("docker_build_with_restart") == []
    assert len(run.of("docker_build")) == 4
    assert all(build["build_args"] == base_images() for build in run.of("docker_build"))
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


def test_every_workload_is_a_named_labelled_resource_and_apps_wait_for_the_infrastructure(
    run: Run, tilt_render: list[Manifest]
) -> None:
    resources = run.resources()
    configured = {r["workload"] for r in run.of("k8s_resource") if r.get("workload")}
    workloads = _workloads(tilt_render)
    # Only workloads of the render (the stand-in refuses others, as Tilt does), and
    # every long-running one of them.
    assert configured <= set(workloads)
    assert {n for n, w in workloads.items() if w["kind"] != "Job"} <= configured
    for name, resource in resources.items():
        assert resource.get("labels"), name
        for dependency in resource.get("resource_deps", []):
            assert dependency in resources, f"{name} depends on unknown {dependency}"
    apps = [n for n, r in resources.items() if {"apis", "subscribers"} & set(r["labels"])]
    assert len(apps) == 8
    for name in apps:
        # Each pod migrates its database in an init container: MySQL first, no Job.
        assert set(resources[name]["resource_deps"]) == INFRASTRUCTURE, name
    assert not [n for n in resources if n.endswith("-migrate")]
    assert {n for n, r in resources.items() if "infra" in r["labels"]} == INFRASTRUCTURE


def test_the_crd_is_served_before_the_operator_and_the_scalers_are_applied(
    run: Run, tilt_render: list[Manifest]
) -> None:
    resources = run.resources()
    assert set(of_kind(tilt_render, "CustomResourceDefinition")) == {"subscriberscalers.eda.dev"}
    assert resources["crds"]["objects"] == ["subscriberscalers.eda.dev:customresourcedefinition"]
    established = resources["crds-established"]
    assert established["resource_deps"] == ["crds"]
    assert established["cmd"] == (
        "kubectl --context kind-eda wait --for=condition=Established --timeout=120s"
        " crd/subscriberscalers.eda.dev"
    )
    operator = resources["operator"]
    scalers = of_kind(tilt_render, "SubscriberScaler")
    assert len(scalers) == 6
    assert sorted(operator["objects"]) == sorted(f"{name}:subscriberscaler" for name in scalers)
    assert set(operator["resource_deps"]) == {"kafka", "rabbitmq", "crds-established"}


def test_without_the_operator_the_scalers_still_wait_for_the_crd() -> None:
    resources = execute(settings={"set": ["operator.enabled=false"]}).resources()
    assert "operator" not in resources
    scalers = resources["subscriber-scalers"]
    assert len(scalers["objects"]) == 6
    assert scalers["resource_deps"] == ["crds-established"]


def test_load_is_a_manual_button_after_the_apis(run: Run) -> None:
    load = run.resources()["load"]
    assert "eda load --rate 300 --duration 120" in load["cmd"]
    assert load["trigger_mode"] == "TRIGGER_MODE_MANUAL"
    assert load["auto_init"] is False
    assert set(load["resource_deps"]) == {"user-service", "order-service"}


def test_settings_file_overrides_the_defaults() -> None:
    run = execute(settings={"load_rate": 50, "set": ["operator.enabled=false"]})
    load = run.resources()["load"]
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
        'local("deploy/tools/local-credentials.sh", quite=True)',
        # Not in the YAML given to k8s_yaml (none here).
        'k8s_resource("eda-user-service-migrate")',
        'k8s_resource(new_name="crds", objects=["subscriberscalers.eda.dev:crd"])',
        'k8s_resource(new_name="crds")',
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


def test_the_stand_ins_take_what_tilt_takes(tmp_path: Path) -> None:
    tiltfile = tmp_path / "Tiltfile"
    tiltfile.write_text(
        'path = local("deploy/tools/local-credentials.sh", quiet=False, command_bat="",'
        ' echo_off=False, env={}, dir="", stdin=None)\n'
        'k8s_yaml(helm("deploy/helm/eda", name="eda", namespace="eda",'
        ' values=["deploy/helm/eda/values-local.yaml", str(path).strip()], skip_crds=False))\n'
        'k8s_resource("eda-kafka",'
        ' objects=["subscriberscalers.eda.dev:CustomResourceDefinition"])\n'
        'docker_build("eda/x", ".", only=["uv.lock"])\n'
        'text = str(read_file("deploy/docker/operator.Dockerfile", default=""))\n'
        'decode_yaml_stream(blob("kind: A\\n---\\nkind: B\\n"))\n'
    )
    run = execute(tiltfile, sandbox=tmp_path)
    assert run.of("read_file") == [
        {"file_path": "deploy/docker/operator.Dockerfile", "default": ""}
    ]
