"""A Kubernetes API for the operator under test: kmock's emulator serving the
SubscriberScaler resource (declared from the CRD) and the built-in ones, a
kubeconfig pointing at it, and the operator run in kopf's test runner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
import warnings
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import kmock
from kopf.testing import KopfRunner

from scaling_operator.handlers import build_registry
from scaling_operator.settings import OperatorConfig
from scaling_operator.status import utc_now
from tests.operator.crd import assert_valid, load_crd, scaler
from tests.support.polling import eventually

SCALERS = "eda.dev/v1/subscriberscalers"
DEPLOYMENTS = "apps/v1/deployments"
NAMESPACE = "eda"
# What templates/subscribers.yaml puts on every subscriber Deployment.
SUBSCRIBER_LABELS = {"eda.dev/role": "subscriber"}
# The subscriber Deployment most tests scale, and their SubscriberScaler's name.
DEPLOYMENT = "orders-order-placed"
SCALER = "order-placed"


class ClusterEmulator(kmock.KubernetesEmulator):
    """Fills in on creation what the API server does: a name for ``generateName``
    (kopf's events), a uid, a resourceVersion (kopf's finalizer patch tests it) and
    the creation time."""

    async def _handle(self, request: Any) -> Any:
        data = request.data
        if request.action == kmock.action.CREATE and isinstance(data, dict):
            metadata = data.setdefault("metadata", {})
            if not metadata.get("name") and metadata.get("generateName"):
                metadata["name"] = metadata["generateName"] + uuid.uuid4().hex[:10]
            metadata.setdefault("uid", str(uuid.uuid4()))
            metadata.setdefault("resourceVersion", "1")
            metadata.setdefault("creationTimestamp", utc_now())
        return await super()._handle(request)


class Cluster:
    def __init__(self, emulator: Any) -> None:
        self.api = emulator

    @property
    def url(self) -> str:
        return str(self.api.url).rstrip("/")

    def write_kubeconfig(self, path: Path) -> Path:
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "current-context": "emulator",
                    "contexts": [
                        {"name": "emulator", "context": {"cluster": "emulator", "user": "tester"}}
                    ],
                    "clusters": [{"name": "emulator", "cluster": {"server": self.url}}],
                    "users": [{"name": "tester", "user": {}}],
                }
            )
        )
        return path

    async def create(self, path: str, body: Mapping[str, Any]) -> None:
        async with self.api.post(path, json=dict(body)) as response:
            assert response.status in {200, 201}, await response.text()

    async def create_deployment(
        self, name: str, replicas: int, labels: Mapping[str, str] = SUBSCRIBER_LABELS
    ) -> None:
        """A Deployment, labelled as the chart labels its subscribers unless told."""
        await self.create(
            f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments",
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": name, "namespace": NAMESPACE, "labels": dict(labels)},
                "spec": {"replicas": replicas},
            },
        )

    async def create_scaler(self, resource: Mapping[str, Any]) -> None:
        assert_valid(resource)  # what a real API server would accept
        await self.create(f"/apis/eda.dev/v1/namespaces/{NAMESPACE}/subscriberscalers", resource)

    async def delete_scaler(self, name: str) -> None:
        path = f"/apis/eda.dev/v1/namespaces/{NAMESPACE}/subscriberscalers/{name}"
        async with self.api.delete(path) as response:
            assert response.status in {200, 202}, await response.text()

    async def stored_scaler(self, name: str) -> dict[str, Any] | None:
        """The resource as the API serves it now; None once it is gone."""
        path = f"/apis/eda.dev/v1/namespaces/{NAMESPACE}/subscriberscalers/{name}"
        async with self.api.get(path) as response:
            if response.status == 404:
                return None
            assert response.status == 200, await response.text()
            stored: dict[str, Any] = await response.json()
            return stored

    def replicas(self, deployment: str) -> int:
        return int(self.api.objects[DEPLOYMENTS, NAMESPACE, deployment].raw["spec"]["replicas"])

    def deployment_writes(self, name: str) -> list[tuple[str, str | None]]:
        """(method, subresource) of every request that changed this Deployment."""
        return [
            (request.method.value if request.method else "", request.subresource)
            for request in list(self.api)
            if request.resource == kmock.resource("apps", "v1", "deployments")
            and request.name == name
            and request.action in {kmock.action.UPDATE, kmock.action.DELETE}
        ]

    def scaler(self, name: str) -> dict[str, Any]:
        raw: dict[str, Any] = self.api.objects[SCALERS, NAMESPACE, name].raw
        return raw

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.scaler(name).get("status") or {})

    def condition(self, name: str, condition_type: str) -> dict[str, Any]:
        for condition in self.status(name).get("conditions", []):
            if condition["type"] == condition_type:
                return dict(condition)
        return {}

    async def ready(self, name: str, *, what: str, timeout: float = 30) -> None:
        """Wait until the operator has read the scaler's backlog (Ready is True)."""
        await eventually(
            lambda: self.condition(name, "Ready").get("status") == "True",
            timeout=timeout,
            what=what,
        )

    async def not_ready(self, name: str, reason: str, timeout: float = 30) -> dict[str, Any]:
        """The scaler's Ready condition, once it gives ``reason``."""
        await eventually(
            lambda: self.condition(name, "Ready").get("reason") == reason,
            timeout=timeout,
            what=f"Ready false: {reason}",
        )
        return self.condition(name, "Ready")

    def events(self, reason: str | None = None) -> list[dict[str, Any]]:
        """The events posted (every creation request under v1/events)."""
        posted = [
            request.data
            for request in list(self.api)
            if request.action == kmock.action.CREATE
            and request.resource == kmock.resource("", "v1", "events")
        ]
        return [event for event in posted if reason is None or event.get("reason") == reason]

    async def posted(self, reason: str, count: int = 1) -> list[dict[str, Any]]:
        """The events of this reason, once ``count`` of them were posted (kopf posts
        from a queue of its own, after the handler returned)."""
        await eventually(
            lambda: len(self.events(reason)) >= count, what=f"{count} {reason} event(s)"
        )
        return self.events(reason)

    def status_patches(self, name: str) -> int:
        return sum(
            1
            for request in list(self.api)
            if request.action == kmock.action.UPDATE
            and request.resource == kmock.resource("eda.dev", "v1", "subscriberscalers")
            and request.name == name
            and request.subresource == "status"
        )

    def cluster_scoped_reads(self) -> list[str]:
        """Requests for namespaces or CRDs: a namespaced Role allows neither."""
        return [
            str(request.url)
            for request in list(self.api)
            if request.resource
            in (
                kmock.resource("", "v1", "namespaces"),
                kmock.resource("apiextensions.k8s.io", "v1", "customresourcedefinitions"),
            )
        ]

    def watching_scalers(self) -> bool:
        return any(
            request.action == kmock.action.WATCH
            and request.resource == kmock.resource("eda.dev", "v1", "subscriberscalers")
            for request in list(self.api)
        )

    async def readings(self, name: str, count: int, timeout: float = 30) -> None:
        """Wait until the operator wrote the status ``count`` more times."""
        target = self.status_patches(name) + count
        await eventually(
            lambda: self.status_patches(name) >= target,
            timeout=timeout,
            what=f"{count} more readings of {name}",
        )


def declare_scaler_resource(emulator: Any) -> None:
    names = load_crd()["spec"]["names"]
    with warnings.catch_warnings():
        # kmock reads its bundled resources with importlib.resources.read_binary.
        warnings.filterwarnings("ignore", "read_binary is deprecated", DeprecationWarning)
        emulator.resources.load_bundled()
    emulator.resources[SCALERS] = kmock.ResourceInfo(
        kind=names["kind"],
        singular=names["singular"],
        shortnames=names["shortNames"],
        namespaced=load_crd()["spec"]["scope"] == "Namespaced",
        subresources={"status"},
        verbs={"get", "list", "watch", "create", "patch", "update", "delete"},
    )


@contextlib.asynccontextmanager
async def running_cluster() -> AsyncIterator[Cluster]:
    async with ClusterEmulator() as emulator, kmock.Server(emulator):
        declare_scaler_resource(emulator)
        yield Cluster(emulator)


@contextlib.asynccontextmanager
async def running_operator(
    cluster: Cluster, config: OperatorConfig, *, namespace: str | None = None
) -> AsyncIterator[KopfRunner]:
    """The operator in kopf's runner (its own thread and loop), cluster-wide or in one
    namespace as the chart runs it; returns once it watches the custom resources, so
    that objects created afterwards are seen exactly once."""
    scope = ["-n", namespace] if namespace else ["-A"]
    runner = KopfRunner(["run", *scope, "--standalone"], registry=build_registry(config))
    runner.__enter__()
    try:
        await eventually(cluster.watching_scalers, timeout=30, what="the operator watching")
        yield runner
    finally:
        # The runner joins its thread: off this loop, which serves the emulated API.
        await asyncio.to_thread(runner.__exit__, None, None, None)


@contextlib.asynccontextmanager
async def scaling_orders(
    cluster: Cluster, config: OperatorConfig, source: dict[str, Any], *, replicas: int, **spec: Any
) -> AsyncIterator[None]:
    """DEPLOYMENT at ``replicas``, the operator running, and the scaler SCALER reading
    ``source`` with ``spec``."""
    await cluster.create_deployment(DEPLOYMENT, replicas=replicas)
    async with running_operator(cluster, config):
        await cluster.create_scaler(scaler(SCALER, DEPLOYMENT, source, **spec))
        yield
