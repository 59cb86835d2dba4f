"""One reading loop per SubscriberScaler, from when the operator first sees it until
it is deleted or the operator stops.

Not a kopf timer: kopf puts a finalizer on every resource that has a timer or a
daemon, to stop them before the resource goes (``kopf.timer`` registers with
``requires_finalizer=True``; kopf's docs, Daemons, "Deletion prevention"). `helm
uninstall` and `tilt down` delete the operator together with its resources, and a
resource whose operator went first would keep that finalizer and never go. Here
the watch only starts and stops the loops, so no resource waits for the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import kopf

from scaling_operator.kube import ScalerStatus
from scaling_operator.reconcile import Reconciler, ScalerState


@dataclass
class _Followed:
    body: kopf.Body
    """The latest seen: the spec as it is now."""
    status: dict[str, Any]
    """As last written: the status is the operator's alone, so no watch event is awaited."""
    logger: kopf.Logger
    state: ScalerState = field(default_factory=ScalerState)
    task: asyncio.Task[None] | None = None


class Readings:
    def __init__(self, interval_s: float, reconciler: Reconciler, status: ScalerStatus) -> None:
        self._interval_s = interval_s
        self._reconciler = reconciler
        self._status = status
        self._followed: dict[str, _Followed] = {}
        self._stopped = False

    def follow(self, uid: str, body: kopf.Body, logger: kopf.Logger) -> None:
        """Read the resource every interval from now on, each time with its latest spec."""
        followed = self._followed.get(uid)
        if followed is not None:
            followed.body = body
            return
        if self._stopped:
            return
        followed = _Followed(body, dict(body.get("status") or {}), logger)
        # Started from the watch handler, the task keeps kopf's context: kopf.event works.
        followed.task = asyncio.create_task(self._every_interval(followed), name=f"read {uid}")
        self._followed[uid] = followed

    async def forget(self, uid: str) -> None:
        followed = self._followed.pop(uid, None)
        if followed is not None and followed.task is not None:
            followed.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await followed.task

    async def stop(self) -> None:
        self._stopped = True
        for uid in list(self._followed):
            await self.forget(uid)

    async def _every_interval(self, followed: _Followed) -> None:
        while True:
            try:
                if not await self._read(followed):
                    return
            except Exception:  # a failed reading is tried again, as kopf's timers did
                followed.logger.exception("reading failed; next in %gs", self._interval_s)
            await asyncio.sleep(self._interval_s)

    async def _read(self, followed: _Followed) -> bool:
        """One reading; False when the resource turned out to be gone."""
        body = followed.body
        namespace = body.metadata.namespace or ""
        outcome = await self._reconciler.reconcile(
            namespace, body.spec, followed.status, followed.state, followed.logger
        )
        stored = await self._status.patch(namespace, body.metadata.name or "", outcome.status)
        if stored is None:
            return False
        followed.status = stored
        for event in outcome.events:
            kopf.event(body, type=event.type, reason=event.reason, message=event.message)
        return True
