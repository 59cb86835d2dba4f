"""Helm's lifecycle as a sequence of steps over a rendered release.

A per-manifest check sees each object alone; these helpers put the objects in the
order Helm creates them on `helm install` and `helm upgrade` (Helm's docs, "Chart
Hooks": hooks of a phase sorted by weight, then kind, then name, each created and,
for a Job, waited for until it completes; the release's ordinary resources are
created together between the pre- and post- phases) and say what a pod needs
from the cluster at the moment it is created.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tests.deploy.chart import Manifest

# Helm's InstallOrder (pkg/release/util/kind_sorter.go), for the kinds this chart renders.
_KIND_ORDER = (
    "Namespace", "NetworkPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret",
    "ConfigMap", "PersistentVolumeClaim", "CustomResourceDefinition", "Role",
    "RoleBinding", "Service", "Pod", "Deployment", "HorizontalPodAutoscaler",
    "StatefulSet", "Job", "Ingress",
)  # fmt: skip
# What every namespace has before any chart is installed into it.
NAMESPACE_DEFAULTS = frozenset({("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt")})
POD_KINDS = {"Deployment", "StatefulSet", "Job", "Pod", "DaemonSet", "ReplicaSet"}

Ref = tuple[str, str]  # (kind, name)


def hooks(manifest: Manifest) -> set[str]:
    annotation = (manifest["metadata"].get("annotations") or {}).get("helm.sh/hook", "")
    return {phase.strip() for phase in annotation.split(",") if phase.strip()}


def _hook_key(manifest: Manifest) -> tuple[int, int, str]:
    annotations = manifest["metadata"].get("annotations") or {}
    kind = manifest["kind"]
    order = _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)
    return int(annotations.get("helm.sh/hook-weight", "0")), order, manifest["metadata"]["name"]


def ref(manifest: Manifest) -> Ref:
    return manifest["kind"], manifest["metadata"]["name"]


@dataclass(frozen=True)
class Step:
    """One moment of an install or upgrade: the objects created at it."""

    phase: str  # "pre-install", "release", "post-install", ...
    objects: tuple[Manifest, ...]


def sequence(manifests: list[Manifest], action: str) -> list[Step]:
    """The steps of `helm <action>` (install or upgrade) for a rendered release."""
    regular = tuple(m for m in manifests if not hooks(m))
    steps = [
        Step(f"pre-{action}", (hook,))
        for hook in sorted((m for m in manifests if f"pre-{action}" in hooks(m)), key=_hook_key)
    ]
    steps.append(Step("release", regular))
    steps += [
        Step(f"post-{action}", (hook,))
        for hook in sorted((m for m in manifests if f"post-{action}" in hooks(m)), key=_hook_key)
    ]
    return steps


def pod_spec(manifest: Manifest) -> dict[str, Any] | None:
    if manifest["kind"] == "Pod":
        return manifest["spec"]  # type: ignore[no-any-return]
    if manifest["kind"] in POD_KINDS:
        return manifest["spec"]["template"]["spec"]  # type: ignore[no-any-return]
    return None


def needs(spec: dict[str, Any]) -> set[Ref]:
    """Every object a pod refers to that must exist before the pod can start."""
    wanted: set[Ref] = {("ServiceAccount", spec.get("serviceAccountName") or "default")}
    wanted |= {("Secret", s["name"]) for s in spec.get("imagePullSecrets") or []}
    for volume in spec.get("volumes") or []:
        wanted |= _volume_needs(volume)
    for container in [*(spec.get("initContainers") or []), *spec.get("containers", [])]:
        for variable in container.get("env") or []:
            source = variable.get("valueFrom") or {}
            for key, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
                if key in source and not source[key].get("optional"):
                    wanted.add((kind, source[key]["name"]))
        for source in container.get("envFrom") or []:
            for key, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
                if key in source and not source[key].get("optional"):
                    wanted.add((kind, source[key]["name"]))
    return wanted


def _volume_needs(volume: dict[str, Any]) -> set[Ref]:
    found: set[Ref] = set()
    if "secret" in volume and not volume["secret"].get("optional"):
        found.add(("Secret", volume["secret"]["secretName"]))
    if "configMap" in volume and not volume["configMap"].get("optional"):
        found.add(("ConfigMap", volume["configMap"]["name"]))
    if "persistentVolumeClaim" in volume:
        found.add(("PersistentVolumeClaim", volume["persistentVolumeClaim"]["claimName"]))
    for source in (volume.get("projected") or {}).get("sources") or []:
        found |= _volume_needs(source)
    return found


@dataclass
class Missing:
    """A pod created at a step before something it needs exists."""

    phase: str
    workload: Ref
    needed: set[Ref] = field(default_factory=set)

    def __str__(self) -> str:
        wanted = ", ".join(f"{kind} {name}" for kind, name in sorted(self.needed))
        return f"{self.phase}: {self.workload[0]} {self.workload[1]} needs {wanted}"


def missing_at_creation(
    manifests: list[Manifest], action: str, existing: set[Ref]
) -> Iterator[Missing]:
    """The pods of `helm <action>` that are created before what they need.

    `existing` holds what is there before the action: the namespace's defaults and
    what values name as existing. On upgrade the release's ordinary resources are
    there too, from the previous install of the same chart; a hook object is not
    (Helm deletes it before re-creating it, and after success if its policy says so)."""
    available = set(existing) | set(NAMESPACE_DEFAULTS)
    if action == "upgrade":
        available |= {ref(m) for m in manifests if not hooks(m)}
    phase = ""
    for step in sequence(manifests, action):
        if step.phase != phase:
            # Helm deletes a phase's hook-succeeded objects once all its hooks succeeded.
            available -= succeeded_and_deleted(manifests, phase)
            phase = step.phase
        created = {ref(m) for m in step.objects}
        for manifest in step.objects:
            spec = pod_spec(manifest)
            if spec is None:
                continue
            # The release's ordinary objects are created together: controllers retry
            # pods until the objects beside them exist. A hook is alone at its step.
            present = available | created if step.phase == "release" else available
            lacking = needs(spec) - present
            if lacking:
                yield Missing(step.phase, ref(manifest), lacking)
        available |= created


def succeeded_and_deleted(manifests: list[Manifest], phase: str) -> set[Ref]:
    return {
        ref(m)
        for m in manifests
        if phase in hooks(m)
        and "hook-succeeded"
        in (m["metadata"].get("annotations") or {}).get("helm.sh/hook-delete-policy", "")
    }


def existing_from_values(values: dict[str, Any]) -> set[Ref]:
    """Secrets that values name as created beforehand: the operator of the cluster makes
    them before installing. A value naming one is a key ending in `Secret`
    (`existingSecret`, `migrationSecret`, `rabbitmqManagementExistingSecret`, ...), an
    image pull Secret, or a Secret an extra environment variable (`secretKeyRef`) or
    extra volume (`secret`, also projected) refers to."""
    found: set[Ref] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith(("Secret", "secret")) and isinstance(value, str):
                    if value:
                        found.add(("Secret", value))
                elif key == "workloadCredentials" and isinstance(value, dict):
                    found.update(("Secret", name) for name in value.get("secrets", {}).values())
                elif key == "imagePullSecrets" and isinstance(value, list):
                    found.update(("Secret", name) for name in value if isinstance(name, str))
                elif key == "secretKeyRef" and isinstance(value, dict) and value.get("name"):
                    found.add(("Secret", value["name"]))
                elif key == "secret" and isinstance(value, dict) and value.get("secretName"):
                    found.add(("Secret", value["secretName"]))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(values)
    return found


def secrets_referenced(manifests: list[Manifest]) -> set[Ref]:
    """The Secrets the pods of a render need, whether the render creates them or not."""
    return {
        needed
        for manifest in manifests
        if (spec := pod_spec(manifest)) is not None
        for needed in needs(spec)
        if needed[0] == "Secret"
    }


def migrated_databases(manifest: Manifest) -> set[str]:
    """The databases a pod migrates itself before its containers start."""
    spec = pod_spec(manifest) or {}
    labels = manifest["spec"]["template"]["metadata"].get("labels", {})
    migrates = any(
        "migrate" in [*(c.get("command") or []), *(c.get("args") or [])]
        for c in spec.get("initContainers") or []
    )
    return {labels["eda.dev/database"]} if migrates and "eda.dev/database" in labels else set()


def migration_jobs(manifests: list[Manifest]) -> dict[str, set[str]]:
    """Database -> the hook phases of the Jobs that migrate it ("" for a plain Job)."""
    phases: dict[str, set[str]] = {}
    for manifest in manifests:
        labels = manifest["metadata"].get("labels", {})
        if manifest["kind"] == "Job" and labels.get("eda.dev/role") == "migration":
            database = manifest["spec"]["template"]["metadata"]["labels"]["eda.dev/database"]
            phases.setdefault(database, set()).update(hooks(manifest) or {""})
    return phases
