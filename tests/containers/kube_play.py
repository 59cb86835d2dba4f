"""A rendered Deployment run with `podman kube play` (Podman 4.3), on the host's
network, with the rendered ConfigMap and Secrets (and those a test gives for the
chart's ``existingSecret`` values).

What Podman 4.3's kube play cannot do with this chart's pods, and what is done here
instead (everything else of the pod spec is kube play's own doing):

- a Secret: kube play stores a Secret document as it reads it, but its
  ``secretKeyRef`` lookup parses a podman secret as a flat JSON map of base64
  values and fails on its own ("is not valid JSON"). Each rendered Secret is created
  with `podman secret create` in that shape.
- a ``secret`` volume: without ``optional`` kube play crashes (a nil pointer, Podman
  issue 16636, fixed in 4.4). With ``optional: false`` it reads the podman secret as a
  Secret document (so not in the shape ``secretKeyRef`` needs), makes a named volume of
  the Secret's name, machine-wide and kept after the pod, and writes into it every key
  of ``data`` as stored, base64 text undecoded, nothing of ``stringData``, ignoring the
  volume's ``items`` and ``defaultMode`` (files 0644, root's). Each secret volume is
  played as a ``hostPath`` of a folder written here as the kubelet fills one: the
  volume's ``items`` only (a missing Secret or key fails, as the kubelet keeps the pod
  waiting), decoded, mode ``defaultMode`` (0644 without) and group ``fsGroup``, the
  container's mount read-only.
- init containers: kube play gives them the pod's restart policy (``Always`` for a
  Deployment), so `migrate` is restarted after it exits 0 and kube play, waiting to
  remove it, fails. Each init container runs to its end with `podman run` and the
  flags of ``pod_spec`` (its security context, volumes, environment, command), then
  the pod is played without it.
- ``containerPort`` on the host's network: refused ("PortMappings can only be used
  with Bridge or slirp4netns networking"). The ports are left out of what is played;
  the probes are checked against the rendered ports.
- ``emptyDir``: made a named volume of the volume's name (``tmp``), machine-wide,
  kept after the pod, without its ``sizeLimit``. Renamed per pod here, and removed.
- probes: only ``livenessProbe`` becomes a health check, a ``curl`` inside the
  container (the image has none) on port 0 (a named port is not resolved); startup
  and readiness probes are dropped. The tests GET each probe's path and port.
- ``envFrom`` over ``env``: kube play sets a ConfigMap's keys after the container's
  own ``env``, so a variable the chart sets in ``env`` to override the ConfigMap
  (``defaults.env``) loses; in Kubernetes ``env`` wins. Each ConfigMap key not set
  in ``env`` is played as an ``env`` entry with ``configMapKeyRef`` instead.
- ``terminationGracePeriodSeconds``: not applied; the pod is stopped with it here.
- ``fieldRef`` (the Downward API): kube play resolves ``metadata.name`` and
  ``metadata.uid`` but refuses ``metadata.namespace`` and ``spec.nodeName``. Every
  ``fieldRef`` variable is played as the value the kubelet would give
  (``pod_spec.downward_fields``: the release's namespace, the Deployment's name, a uid
  made from both, this host's name).
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from tests.containers import podman
from tests.containers.pod_spec import (
    command_flags,
    containers,
    env_flags,
    field_value,
    security_flags,
    volume_flags,
)
from tests.deploy.chart import Manifest

# A Secret volume's files without ``defaultMode``, as Kubernetes writes them.
SECRET_DEFAULT_MODE = 0o644


@dataclass
class Pod:
    """A played pod: its name, and the Deployment as rendered."""

    name: str
    deployment: Manifest

    @property
    def spec(self) -> Manifest:
        spec: Manifest = self.deployment["spec"]["template"]["spec"]
        return spec

    @property
    def container(self) -> Manifest:
        (container,) = self.spec["containers"]
        found: Manifest = container
        return found


def create_secret(conf: Path, secret: Manifest) -> str:
    name = str(secret["metadata"]["name"])
    values = {key: base64.b64encode(str(v).encode()).decode() for key, v in _data(secret).items()}
    result = podman.podman(conf, "secret", "create", name, "-", input_text=json.dumps(values))
    assert result.returncode == 0, result.stderr
    return name


def secret_values(secret: Manifest) -> dict[str, str]:
    return _data(secret)


def _data(secret: Manifest) -> dict[str, str]:
    values = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    return values | {k: str(v) for k, v in (secret.get("stringData") or {}).items()}


def playable(
    deployment: Manifest,
    volume_prefix: str,
    config_maps: dict[str, dict[str, str]],
    namespace: str,
) -> Manifest:
    """The Deployment as kube play 4.3 can run it (see the module's docstring)."""
    played = copy.deepcopy(deployment)
    pod = played["spec"]["template"]["spec"]
    pod.pop("initContainers", None)
    renamed = {
        volume["name"]: f"{volume_prefix}-{volume['name']}"
        for volume in pod["volumes"]
        if "emptyDir" in volume
    }
    for volume in pod["volumes"]:
        assert set(volume) in ({"name", "emptyDir"}, {"name", "hostPath"}), volume
        volume["name"] = renamed.get(volume["name"], volume["name"])
    for container in pod["containers"]:
        container.pop("ports", None)
        _env_over_config_maps(container, config_maps)
        _fields_as_values(container, namespace, deployment["metadata"]["name"])
        for mount in container.get("volumeMounts", []):
            mount["name"] = renamed.get(mount["name"], mount["name"])
    return played


def volume_names(played: Manifest) -> list[str]:
    """The named volumes kube play makes for the played Deployment (its emptyDirs)."""
    volumes = played["spec"]["template"]["spec"]["volumes"]
    return [volume["name"] for volume in volumes if "emptyDir" in volume]


def secrets_as_host_paths(
    deployment: Manifest, secrets: dict[str, dict[str, str]], folder: Path
) -> Manifest:
    """The Deployment with each ``secret`` volume a hostPath of a folder under
    ``folder`` holding the Secret's files (see the module's docstring); the mounts of
    those volumes read-only, as the kubelet mounts a Secret whatever the mount says."""
    mounted = copy.deepcopy(deployment)
    pod = mounted["spec"]["template"]["spec"]
    group = pod.get("securityContext", {}).get("fsGroup")
    written = set()
    for volume in pod.get("volumes", []):
        if "secret" not in volume:
            continue
        path = folder / f"{mounted['metadata']['name']}-{volume['name']}"
        _write_secret_volume(path, volume.pop("secret"), secrets, group)
        volume["hostPath"] = {"path": str(path), "type": "Directory"}
        written.add(volume["name"])
    for container in containers(pod):
        for mount in container.get("volumeMounts", []):
            if mount["name"] in written:
                mount["readOnly"] = True
    return mounted


def _write_secret_volume(
    path: Path, source: Manifest, secrets: dict[str, dict[str, str]], group: int | None
) -> None:
    assert set(source) <= {"secretName", "items", "defaultMode"}, f"not written: {source}"
    name = source["secretName"]
    assert name in secrets, f"no Secret {name}: the kubelet would keep the pod waiting"
    values = secrets[name]
    items = source.get("items") or [{"key": key, "path": key} for key in values]
    path.mkdir(parents=True)
    path.chmod(0o755)
    for item in items:
        assert set(item) <= {"key", "path", "mode"}, f"not written: {item}"
        assert item["key"] in values, f"Secret {name} has no key {item['key']}"
        file = path / item["path"]
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(values[item["key"]])
        mode = int(item.get("mode", source.get("defaultMode", SECRET_DEFAULT_MODE)))
        if group is not None:
            # The kubelet's ownership of a read-only volume for fsGroup: the group's,
            # group-readable.
            os.chown(file, -1, int(group))
            mode |= 0o440
        file.chmod(mode)


def run_init_containers(
    conf: Path,
    deployment: Manifest,
    *,
    config_maps: dict[str, dict[str, str]],
    secrets: dict[str, dict[str, str]],
    namespace: str,
    image_tag: str,
) -> list[subprocess.CompletedProcess[str]]:
    """What the kubelet does before the pod's containers: each init container to its
    end (each must exit 0); what each wrote."""
    pod = deployment["spec"]["template"]["spec"]
    results = []
    for init in pod.get("initContainers", []):
        entrypoint, args = command_flags(init)
        flags = [
            *security_flags(pod, init),
            *volume_flags(pod, init),
            *env_flags(init, config_maps, secrets, namespace, deployment["metadata"]["name"]),
            *entrypoint,
        ]
        assert init["image"].endswith(f":{image_tag}"), init["image"]
        result = podman.run_to_end(conf, init["name"], f"docker.io/{init['image']}", flags, args)
        assert result.returncode == 0, result.stdout + result.stderr
        results.append(result)
    return results


def remove(conf: Path, pods: list[str], secrets: list[str], volumes: list[str]) -> None:
    """The played pods, then the podman secrets and named volumes made for them."""
    for pod in pods:
        podman.podman(conf, "pod", "rm", "--force", "--time", "5", pod)
    for secret in secrets:
        podman.podman(conf, "secret", "rm", secret)
    for volume in volumes:
        podman.podman(conf, "volume", "rm", "--force", volume)


async def ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


def play(conf: Path, played: Manifest, config_map: Path, folder: Path) -> str:
    """Plays the Deployment; the name of its one pod."""
    assert played["spec"]["replicas"] == 1, "one pod per Deployment: they share the host's ports"
    manifest = folder / f"{played['metadata']['name']}.yaml"
    manifest.write_text(yaml.safe_dump(played, sort_keys=False))
    result = podman.podman(
        conf, "kube", "play", "--network", "host", "--configmap", str(config_map), str(manifest)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return f"{played['metadata']['name']}-pod-0"


def container_name(pod_name: str, container: Manifest) -> str:
    return f"{pod_name}-{container['name']}"


def port_of(container: Manifest, port: int | str) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def _fields_as_values(container: Manifest, namespace: str, pod: str) -> None:
    container["env"] = [
        {"name": v["name"], "value": field_value(v, namespace, pod)}
        if "fieldRef" in v.get("valueFrom", {})
        else v
        for v in container.get("env", [])
    ]


def _env_over_config_maps(container: Manifest, config_maps: dict[str, dict[str, str]]) -> None:
    own = {variable["name"] for variable in container.get("env", [])}
    from_maps = []
    for source in container.pop("envFrom", []):
        name = source["configMapRef"]["name"]
        from_maps += [
            {"name": key, "valueFrom": {"configMapKeyRef": {"name": name, "key": key}}}
            for key in config_maps[name]
            if key not in own
        ]
    container["env"] = [*from_maps, *container.get("env", [])]
