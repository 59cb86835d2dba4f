"""The operator's own requests to the Kubernetes API: a Deployment read (its labels
and replicas), its replicas set through its ``scale`` subresource (never a patch of
the Deployment itself), and a SubscriberScaler's status.

kopf watches the custom resources; reading them on a schedule and writing back is
ours (see readings.py). This small client uses the same credentials (service
account in a pod, else the kubeconfig) and asks for them again once when the API
answers 401, since a pod's projected token is rotated under it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import kopf

from scaling_operator.spec import GROUP, PLURAL, VERSION

_NOT_FOUND = 404
_UNAUTHORIZED = 401
_FORBIDDEN = 403
_MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}


class NotFoundError(LookupError):
    pass


class ForbiddenError(PermissionError):
    """403: the Role does not grant it (e.g. a Deployment outside its resourceNames)."""


class KubernetesAPIError(RuntimeError):
    pass


Login = Callable[[], kopf.ConnectionInfo]


def login() -> kopf.ConnectionInfo:
    """In-cluster service account first, then the kubeconfig (KUBECONFIG or ~/.kube/config)."""
    settings = kopf.OperatorSettings()
    try:
        info = kopf.login_with_service_account(settings=settings) or kopf.login_with_kubeconfig(
            settings=settings
        )
    except (OSError, ValueError, KeyError) as exc:
        raise kopf.LoginError(f"the kubeconfig cannot be used: {exc!r}") from exc
    if info is None:
        raise kopf.LoginError("no service account and no kubeconfig to reach the Kubernetes API")
    return info


class KubernetesAPI:
    def __init__(self, login: Login = login) -> None:
        self._login = login
        self._session: aiohttp.ClientSession | None = None
        self._server = ""

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        for attempt in range(2):
            session = await self._connected(refresh=attempt > 0)
            async with session.request(
                method, self._server + path, json=json, headers=headers
            ) as response:
                if response.status == _UNAUTHORIZED and attempt == 0:
                    continue
                if response.status == _NOT_FOUND:
                    raise NotFoundError(path)
                if response.status == _FORBIDDEN:
                    raise ForbiddenError(path)
                if response.status >= 400:
                    text = await response.text()
                    raise KubernetesAPIError(f"{method} {path}: {response.status} {text[:300]}")
                body: dict[str, Any] = await response.json(content_type=None)
                return body
        raise KubernetesAPIError(f"{method} {path}: unauthorized")

    async def _connected(self, *, refresh: bool) -> aiohttp.ClientSession:
        if self._session is not None and not refresh:
            return self._session
        await self.close()
        info = self._login()
        self._server = info.server.rstrip("/")
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(ssl=info.as_ssl_context()),
            headers=info.as_http_headers(),
            proxy=info.proxy_url,
            trust_env=info.trust_env,
        )
        return self._session


# The label the chart puts on every subscriber Deployment (templates/subscribers.yaml):
# the operator scales nothing that does not carry it.
SUBSCRIBER_LABEL = ("eda.dev/role", "subscriber")


@dataclass(frozen=True, slots=True)
class Deployment:
    replicas: int
    labels: Mapping[str, str]

    @property
    def is_subscriber(self) -> bool:
        key, value = SUBSCRIBER_LABEL
        return self.labels.get(key) == value


class DeploymentScaler:
    """Reads a Deployment (``get`` on ``deployments``) and sets its replicas through
    ``deployments/scale`` (``patch``): all the chart's Role grants, by name."""

    def __init__(self, api: KubernetesAPI) -> None:
        self._api = api

    async def read(self, namespace: str, name: str) -> Deployment:
        deployment = await self._api.request("GET", self._path(namespace, name))
        metadata = deployment.get("metadata") or {}
        spec = deployment.get("spec") or {}
        # An absent replicas field means the API's default of one.
        replicas = spec.get("replicas", 1)
        labels = metadata.get("labels") or {}
        return Deployment(int(replicas), {str(k): str(v) for k, v in labels.items()})

    async def scale(self, namespace: str, name: str, replicas: int) -> None:
        await self._api.request(
            "PATCH",
            self._path(namespace, name) + "/scale",
            json={"spec": {"replicas": replicas}},
            headers=_MERGE_PATCH,
        )

    @staticmethod
    def _path(namespace: str, name: str) -> str:
        return (
            f"/apis/apps/v1/namespaces/{quote(namespace, safe='')}"
            f"/deployments/{quote(name, safe='')}"
        )


class ScalerStatus:
    def __init__(self, api: KubernetesAPI) -> None:
        self._api = api

    async def patch(
        self, namespace: str, name: str, status: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Merges ``status`` in (a None removes a field); returns the status now stored,
        or None when the resource is gone."""
        path = (
            f"/apis/{GROUP}/{VERSION}/namespaces/{quote(namespace, safe='')}"
            f"/{PLURAL}/{quote(name, safe='')}/status"
        )
        try:
            stored = await self._api.request(
                "PATCH", path, json={"status": dict(status)}, headers=_MERGE_PATCH
            )
        except NotFoundError:
            return None
        return dict(stored.get("status") or {})
