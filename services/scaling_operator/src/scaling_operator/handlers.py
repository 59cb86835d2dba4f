"""kopf wiring: login, start-up settings, and one timer per SubscriberScaler."""

from __future__ import annotations

import logging
from typing import Any

import kopf

from scaling_operator.kube import DeploymentScaler, login
from scaling_operator.reconcile import Reconciler, ScalerState
from scaling_operator.settings import OperatorConfig
from scaling_operator.spec import GROUP, PLURAL, VERSION

FINALIZER = "eda.dev/subscriber-scaler"
_STATE = "scaler_state"


def build_registry(config: OperatorConfig) -> kopf.OperatorRegistry:
    """A registry holding the operator's handlers, built from its settings (the timer's
    interval is fixed when the handler is registered)."""
    registry = kopf.OperatorRegistry()
    deployments = DeploymentScaler()
    reconciler = Reconciler(config, deployments)

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # Scaling actions and state changes are posted as events explicitly; kopf's
        # own per-reading log lines would add one event per resource and interval.
        settings.posting.level = logging.ERROR
        # kopf puts a finalizer on objects with timers, to stop them before deletion.
        settings.persistence.finalizer = FINALIZER
        # The chart grants a namespaced Role: no listing of namespaces or CRDs, so the
        # resources are taken from API discovery at start instead of being watched.
        settings.scanning.disabled = True

    @kopf.on.login(registry=registry)
    def authenticate(**_: Any) -> kopf.ConnectionInfo:
        return login()

    @kopf.on.cleanup(registry=registry)
    async def close(**_: Any) -> None:
        await deployments.close()

    @kopf.timer(
        GROUP, VERSION, PLURAL, id="scale", interval=config.operator.interval_s, registry=registry
    )
    async def scale(
        *,
        spec: kopf.Spec,
        status: kopf.Status,
        namespace: str | None,
        body: kopf.Body,
        memo: Any,
        patch: kopf.Patch,
        logger: kopf.Logger,
        **_: Any,
    ) -> None:
        state = memo.get(_STATE)
        if not isinstance(state, ScalerState):
            state = memo[_STATE] = ScalerState()
        outcome = await reconciler.reconcile(namespace or "", spec, status, state, logger)
        patch.status.update(outcome.status)
        for event in outcome.events:
            kopf.event(body, type=event.type, reason=event.reason, message=event.message)

    return registry
