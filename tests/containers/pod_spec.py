"""A rendered container spec as `podman run` flags: the security context, the volumes
and the environment a kubelet would give the process. Fields it does not know make it
fail, so a chart change is never run half-translated."""

from __future__ import annotations

import re
import socket
import uuid
from typing import Any

from tests.deploy.chart import Manifest

SECURITY_FIELDS = {
    "runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "seccompProfile",
    "allowPrivilegeEscalation", "privileged", "readOnlyRootFilesystem", "capabilities",
}  # fmt: skip
_UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def security_context(pod: Manifest, container: Manifest) -> dict[str, Any]:
    """The pod's context under the container's, as the kubelet merges them."""
    merged = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    unknown = set(merged) - SECURITY_FIELDS
    assert not unknown, f"no podman flags for securityContext fields {unknown}"
    return merged


def security_flags(pod: Manifest, container: Manifest) -> list[str]:
    context = security_context(pod, container)
    assert context.get("privileged") is not True
    assert context.get("seccompProfile", {}).get("type", "RuntimeDefault") == "RuntimeDefault"
    user = context["runAsUser"]
    flags = ["--user", f"{user}:{context.get('runAsGroup', user)}"]
    if "fsGroup" in context:
        flags += ["--group-add", str(context["fsGroup"])]
    if context.get("readOnlyRootFilesystem"):
        # Podman mounts tmpfs on /run, /tmp and /var/tmp of a read-only container
        # unless told not to; a kubelet mounts only the pod's volumes.
        flags += ["--read-only", "--read-only-tmpfs=false"]
    capabilities = context.get("capabilities", {})
    assert not capabilities.get("add"), capabilities
    for capability in capabilities.get("drop", []):
        flags += ["--cap-drop", capability]
    if context.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    # RuntimeDefault is podman's own seccomp profile: no flag.
    return flags


def quantity_bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([KMG]i)?", quantity).groups()  # type: ignore[union-attr]
    return int(number) * _UNITS.get(unit or "", 1)


def volume_flags(pod: Manifest, container: Manifest) -> list[str]:
    """Each emptyDir as a tmpfs of its sizeLimit, writable by everyone as the
    kubelet makes an emptyDir's folder; each hostPath (a Secret's files, see
    kube_play.secrets_as_host_paths) bound, read-only where the mount says so."""
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    flags = []
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if set(volume) == {"name", "hostPath"}:
            bind = f"type=bind,source={volume['hostPath']['path']},destination={mount['mountPath']}"
            flags += ["--mount", bind + (",ro=true" if mount.get("readOnly") else "")]
            continue
        assert set(volume) == {"name", "emptyDir"}, f"no podman flags for volume {volume}"
        options = [f"destination={mount['mountPath']}", "tmpfs-mode=1777"]
        if "sizeLimit" in volume["emptyDir"]:
            options.append(f"tmpfs-size={quantity_bytes(volume['emptyDir']['sizeLimit'])}")
        flags += ["--mount", ",".join(["type=tmpfs", *options])]
    return flags


def downward_fields(namespace: str, pod: str) -> dict[str, str]:
    """The pod fields the chart reads through the Downward API (``fieldRef``), as the
    kubelet fills them for pod ``pod`` of ``namespace`` on this host; its uid is made
    from both. Podman 4.3's kube play resolves neither ``metadata.namespace`` nor
    ``spec.nodeName``, so played containers get these as values."""
    return {
        "metadata.namespace": namespace,
        "metadata.name": pod,
        "metadata.uid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"pod:{namespace}/{pod}")),
        "spec.nodeName": socket.gethostname(),
    }


def field_value(variable: Manifest, namespace: str, pod: str) -> str:
    """A ``fieldRef`` variable's value (downward_fields); any other field fails."""
    source = variable["valueFrom"]
    assert set(source) == {"fieldRef"}, source
    fields = downward_fields(namespace, pod)
    path = source["fieldRef"]["fieldPath"]
    assert path in fields, f"{variable['name']}: no value for fieldRef {path}"
    return fields[path]


def env_flags(
    container: Manifest,
    config_maps: dict[str, dict[str, str]],
    secrets: dict[str, dict[str, str]],
    namespace: str,
    pod: str,
) -> list[str]:
    """envFrom first, then env, later names winning: the kubelet's order."""
    values: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, source
        values.update(config_maps[source["configMapRef"]["name"]])
    for variable in container.get("env", []):
        values[variable["name"]] = _value(variable, config_maps, secrets, namespace, pod)
    return [flag for name, value in values.items() for flag in ("--env", f"{name}={value}")]


def _value(
    variable: Manifest,
    config_maps: dict[str, dict[str, str]],
    secrets: dict[str, dict[str, str]],
    namespace: str,
    pod: str,
) -> str:
    if "value" in variable:
        return str(variable["value"])
    source = variable["valueFrom"]
    if "secretKeyRef" in source:
        return secrets[source["secretKeyRef"]["name"]][source["secretKeyRef"]["key"]]
    if "configMapKeyRef" in source:
        return config_maps[source["configMapKeyRef"]["name"]][source["configMapKeyRef"]["key"]]
    return field_value(variable, namespace, pod)


def command_flags(container: Manifest) -> tuple[list[str], list[str]]:
    """(the --entrypoint flag, the arguments after the image)."""
    command = container.get("command")
    flags = ["--entrypoint", command[0]] if command else []
    return flags, [*(command or [])[1:], *container.get("args", [])]


def containers(pod: Manifest) -> list[Manifest]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def mount_paths(container: Manifest) -> set[str]:
    return {mount["mountPath"] for mount in container.get("volumeMounts", [])}
