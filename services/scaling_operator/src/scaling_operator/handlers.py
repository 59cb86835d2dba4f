"""kopf wiring: login, start-up settings, and the watch that starts and stops one
reading loop per SubscriberScaler (readings.py)."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from scaling_operator.kube import DeploymentScaler, KubernetesAPI, ScalerStatus, login
from scaling_operator.readings import Readings
from scaling_operator.reconcile import Reconciler
from scaling_operator.settings import OperatorConfig
from scaling_operator.spec import GROUP, PLURAL, VERSION

# Earlier versions of the operator had kopf put this finalizer on every resource.
EARLIER_FINALIZER = "eda.dev/subscriber-scaler"


def build_registry(config: OperatorConfig) -> kopf.OperatorRegistry:
    """A registry holding the operator's handlers, built from its settings."""
    registry = kopf.OperatorRegistry()
    api = KubernetesAPI()
    readings = Readings(
        config.operator.interval_s,
        Reconciler(config, DeploymentScaler(api)),
        ScalerStatus(api),
    )

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # Scaling actions and state changes are posted as events explicitly; kopf's
        # own per-reading log lines would add one event per resource and interval.
        settings.posting.level = logging.ERROR
        # No handler here needs a finalizer, so kopf adds none; one it finds under
        # its configured name it removes, which releases what earlier versions left.
        settings.persistence.finalizer = EARLIER_FINALIZER
        # The chart grants a namespaced Role: no listing of namespaces or CRDs, so the
        # resources are taken from API discovery at start instead of being watched.
        settings.scanning.disabled = True

    @kopf.on.login(registry=registry)
    def authenticate(**_: Any) -> kopf.ConnectionInfo:
        return login()

    @kopf.on.cleanup(registry=registry)
    async def close(**_: Any) -> None:
        await readings.stop()
        await api.close()

    @kopf.on.event(GROUP, VERSION, PLURAL, registry=registry)
    async def watch(
        *, event: kopf.RawEvent, uid: str, body: kopf.Body, logger: kopf.Logger, **_: Any
    ) -> None:
        if event["type"] == "DELETED":
            await readings.forget(uid)
        else:
            readings.follow(uid, body, logger)

    return registry
