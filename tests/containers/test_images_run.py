"""Each image, built by `make images` with podman, runs as the chart runs it: the user,
the read-only root, the dropped capabilities and the emptyDir of its rendered
Deployment. It answers its health endpoints against this machine's servers, writes
only where the chart gives it a volume, and exits 0 on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from eda_local.tansu import free_port
from tests.containers import podman
from tests.containers.local_servers import answers, base_env, container_of, env_args, pod_of
from tests.containers.pod_spec import mount_paths, security_flags, volume_flags
from tests.deploy.chart import REPO, Manifest
from tests.deploy.dockerfile import DOCKERFILES
from tests.operator.cluster import running_cluster
from tests.support.mysql import mysql_settings_for_tests, throwaway_database

# The first test of a session waits for the images to be built (about 50 s cold).
pytestmark = pytest.mark.timeout(600)
APP_UID = 10001
# Mounts every container gets from its runtime, not from the pod spec.
RUNTIME_MOUNTS = ("/proc", "/dev", "/sys")


@dataclass
class Case:
    """How one image is started here: the Deployment whose pod spec it runs under,
    its arguments, the database it migrates first, the health paths to answer."""

    image: str
    deployment: str
    args: list[str]
    paths: tuple[str, ...] = ("/healthz", "/readyz")
    migrates: str | None = None
    env: dict[str, str] = field(default_factory=dict)


SUBSCRIBER_ARGS = ["user.registered", "--host", "127.0.0.1"]
CASES = {
    "user-service": Case("user-service", "eda-user-service", ["serve"], migrates="user-service"),
    "order-service": Case(
        "order-service", "eda-order-service", ["serve"], migrates="order-service"
    ),
    "subscriber": Case(
        "subscriber", "eda-orders-user-registered", SUBSCRIBER_ARGS, migrates="order-service"
    ),
    "operator": Case("operator", "eda-operator", ["--namespace", "eda"], paths=("/healthz",)),
}


@contextlib.asynccontextmanager
async def prepared(case: Case, tmp_path: Path) -> AsyncIterator[tuple[dict[str, str], list[str]]]:
    """(environment, extra flags) the case needs: a throwaway database, or for the
    operator a Kubernetes API emulator and a kubeconfig to reach it."""
    if case.migrates:
        async with throwaway_database(mysql_settings_for_tests()) as database:
            yield {"EDA_MYSQL__DATABASE": database}, []
        return
    async with running_cluster() as cluster:
        kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
        kubeconfig.chmod(0o644)
        yield (
            {"KUBECONFIG": "/etc/eda/kubeconfig", "EDA_OPERATOR__HEALTH_HOST": "127.0.0.1"},
            ["--volume", f"{kubeconfig}:/etc/eda/kubeconfig:ro"],
        )


def writable_mounts(mountinfo: str) -> set[str]:
    """Mount points the process could write to, runtime pseudo-filesystems aside."""
    writable = set()
    for line in mountinfo.splitlines():
        fields = line.split()
        mount_point, options = fields[4], fields[5].split(",")
        if "rw" in options and not mount_point.startswith(RUNTIME_MOUNTS):
            writable.add(mount_point)
    return writable


def status_fields(status: str) -> dict[str, str]:
    return dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)


WRITE_PROBE = """
import json, os, sys
outcome = {}
for folder in sys.argv[1:]:
    try:
        with open(os.path.join(folder, ".probe"), "w") as out:
            out.write("x")
        os.remove(os.path.join(folder, ".probe"))
        outcome[folder] = "written"
    except OSError as exc:
        outcome[folder] = exc.strerror
print(json.dumps(outcome))
"""


@pytest.mark.parametrize("image", sorted(CASES))
async def test_the_image_runs_as_the_chart_runs_it(
    image: str,
    *,
    podman_conf: Path,
    image_tag: str,
    local_manifests: list[Manifest],
    kafka_bootstrap: str,
    tmp_path: Path,
) -> None:
    case = CASES[image]
    pod = pod_of(local_manifests, case.deployment)
    container = container_of(pod)
    ref = podman.image_ref(image, image_tag)
    prefix = f"img{uuid.uuid4().hex[:8]}."
    port = free_port()
    chart_flags = security_flags(pod, container) + volume_flags(pod, container)
    async with prepared(case, tmp_path) as (extra_env, extra_flags):
        env = {**base_env(kafka_bootstrap, prefix), **case.env, **extra_env}
        env |= {"EDA_HTTP_HOST": "127.0.0.1", "EDA_HTTP_PORT": str(port)}
        env["EDA_OPERATOR__HEALTH_PORT"] = str(port)
        if case.migrates:
            (init,) = pod["initContainers"]
            migrated = podman.run_to_end(
                podman_conf, f"{image}-migrate", podman.image_ref(case.migrates, image_tag),
                [*security_flags(pod, init), *volume_flags(pod, init), *env_args(env)],
                ["migrate"],
            )  # fmt: skip
            assert migrated.returncode == 0, migrated.stdout + migrated.stderr
        args = [*case.args, "--port", str(port)] if image == "subscriber" else case.args
        async with podman.running(
            podman_conf, image, ref, [*chart_flags, *extra_flags, *env_args(env)], args
        ) as running:
            await answers(running, port, case.paths)

            status = status_fields(running.exec("cat", "/proc/1/status").stdout)
            assert status["Uid"].split() == [str(APP_UID)] * 4, status["Uid"]
            assert status["Gid"].split() == [str(APP_UID)] * 4, status["Gid"]
            assert int(status["CapEff"], 16) == 0
            assert status["NoNewPrivs"] == "1"

            mountinfo = running.exec("cat", "/proc/1/mountinfo").stdout
            (root,) = [line.split() for line in mountinfo.splitlines() if line.split()[4] == "/"]
            assert "ro" in root[5].split(","), root
            # Writable: the chart's emptyDirs and nothing else.
            assert writable_mounts(mountinfo) == mount_paths(container) == {"/tmp"}

            probe = running.exec(
                "python", "-c", WRITE_PROBE, "/", "/opt/venv", "/var/tmp", "/run", "/tmp"
            )
            assert probe.returncode == 0, probe.stderr
            assert json.loads(probe.stdout) == {
                "/": "Read-only file system",
                "/opt/venv": "Read-only file system",
                "/var/tmp": "Read-only file system",
                "/run": "Read-only file system",
                "/tmp": "written",
            }

            exit_code = running.stop()
            assert exit_code == 0, running.logs()[-3000:]
            assert "Traceback" not in running.logs()


# Faults only a real build and run can show, each put into a copy of the user-service
# Dockerfile: the replayed install steps of tests/deploy pass with every one of them.
# fault: (what the Dockerfile says, what it says instead, the step that refuses it)
BROKEN = {
    "venv unreadable by the app user": (
        "USER 10001:10001",
        "RUN chmod -R go-rwx /opt/venv\nUSER 10001:10001",
        "run",
    ),
    "entry point not on PATH": ("ENV PATH=/opt/venv/bin:$PATH", "ENV PATH=/usr/bin:/bin", "run"),
    "COPY --from a path the build stage lacks": (
        "COPY --from=build --chown=${VENV_OWNER} /opt/venv /opt/venv",
        "COPY --from=build --chown=${VENV_OWNER} /opt/env /opt/venv",
        "build",
    ),
}


@pytest.mark.parametrize("fault", sorted(BROKEN))
def test_a_broken_image_does_not_run_as_the_chart_runs_it(
    fault: str, *, podman_conf: Path, image_tag: str, local_manifests: list[Manifest],
    tmp_path: Path,
) -> None:  # fmt: skip
    original, broken, refused_by = BROKEN[fault]
    text = (DOCKERFILES / "user-service.Dockerfile").read_text()
    assert original in text
    dockerfile = tmp_path / "user-service.Dockerfile"
    dockerfile.write_text(text.replace(original, broken))
    ref = podman.image_ref("user-service", f"{image_tag}-broken-{uuid.uuid4().hex[:6]}")
    built = podman.podman(
        podman_conf, "build", "--pull=never", "--quiet", "-f", str(dockerfile), "-t", ref,
        *podman.base_image_args(podman_conf), str(REPO), timeout=600,
    )  # fmt: skip
    try:
        assert (built.returncode != 0) == (refused_by == "build"), built.stderr[-2000:]
        if refused_by == "build":
            assert "opt/env" in built.stderr
            return
        pod = pod_of(local_manifests, "eda-user-service")
        container = container_of(pod)
        flags = security_flags(pod, container) + volume_flags(pod, container)
        ran = podman.run_to_end(podman_conf, "broken", ref, flags, ["--help"], timeout=120)
        assert ran.returncode != 0, ran.stdout
    finally:
        podman.podman(podman_conf, "rmi", "--force", ref)
