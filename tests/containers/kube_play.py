"""A rendered Deployment run with `podman kube play` (Podman 4.3), on the host's
network, with the rendered ConfigMap and Secrets.

What Podman 4.3's kube play cannot do with this chart's pods, and what is done here
instead (everything else of the pod spec is kube play's own doing):

- a Secret: kube play stores a Secret document as it reads it, but its
  ``secretKeyRef`` lookup parses a podman secret as a flat JSON map of base64
  values and fails on its own ("is not valid JSON"). Each rendered Secret is created
  with `podman secret create` in that shape.
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
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import yaml

from tests.containers import podman
from tests.deploy.chart import Manifest


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
    deployment: Manifest, volume_prefix: str, config_maps: dict[str, dict[str, str]]
) -> Manifest:
    """The Deployment as kube play 4.3 can run it (see the module's docstring)."""
    played = copy.deepcopy(deployment)
    pod = played["spec"]["template"]["spec"]
    pod.pop("initContainers", None)
    renamed = {volume["name"]: f"{volume_prefix}-{volume['name']}" for volume in pod["volumes"]}
    for volume in pod["volumes"]:
        assert set(volume) == {"name", "emptyDir"}, volume
        volume["name"] = renamed[volume["name"]]
    for container in pod["containers"]:
        container.pop("ports", None)
        _env_over_config_maps(container, config_maps)
        for mount in container.get("volumeMounts", []):
            mount["name"] = renamed[mount["name"]]
    return played


def volume_names(played: Manifest) -> list[str]:
    return [volume["name"] for volume in played["spec"]["template"]["spec"]["volumes"]]


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
