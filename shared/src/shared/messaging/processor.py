"""What happens to one message, whichever broker it came from.

Parse and validate; call the handler; retry transient failures with exponential
backoff and jitter up to a bound; send permanent failures (and exhausted retries)
to the dead-letter destination with the reason. The caller acknowledges the
message only after ``process`` returned.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from shared.envelope import Envelope, decode
from shared.errors import PermanentError, UnknownEventTypeError
from shared.events.base import Event
from shared.messaging.types import DeadLetterSink, Handler, IncomingMessage, Subscription
from shared.settings import RetrySettings

log = logging.getLogger(__name__)


class ProcessingAbandoned(Exception):
    """Shutdown began while the message waited to be retried: leave it unacknowledged."""


class MessageProcessor:
    def __init__(
        self,
        subscription: Subscription,
        handler: Handler,
        dead_letters: DeadLetterSink,
        retry: RetrySettings,
        *,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._subscription = subscription
        self._handler = handler
        self._dead_letters = dead_letters
        self._retry = retry
        self._jitter = jitter
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def process(self, message: IncomingMessage) -> None:
        try:
            envelope, event = self._parse(message.body)
        except PermanentError as exc:
            await self._dead_letter(message, _reason(exc), attempts=0)
            return
        await self._handle(message, envelope, event)

    def _parse(self, body: bytes) -> tuple[Envelope, Event]:
        envelope = decode(body)
        if envelope.type != self._subscription.event_type:
            expected = self._subscription.event_type
            raise UnknownEventTypeError(
                f"{envelope.type!r} arrived on the subscription for {expected!r}"
            )
        return envelope, envelope.event()

    async def _handle(self, message: IncomingMessage, envelope: Envelope, event: Event) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._handler(event, envelope)
                return
            except PermanentError as exc:
                await self._dead_letter(message, _reason(exc), attempts=attempt)
                return
            except Exception as exc:
                if attempt >= self._retry.max_attempts:
                    reason = f"retries exhausted after {attempt} attempts: {_reason(exc)}"
                    await self._dead_letter(message, reason, attempts=attempt)
                    return
                delay = self._backoff(attempt)
                log.warning(
                    "%s: attempt %d for event %s failed (%s); retrying in %.2fs",
                    self._subscription.subscriber,
                    attempt,
                    envelope.id,
                    _reason(exc),
                    delay,
                )
                await self._pause(delay)

    async def _dead_letter(self, message: IncomingMessage, reason: str, attempts: int) -> None:
        log.error(
            "%s: dead-lettering %s: %s", self._subscription.subscriber, message.origin, reason
        )
        failures = 0
        while True:
            try:
                await self._dead_letters.dead_letter(message, reason, attempts)
                return
            except Exception as exc:  # the broker is away: keep the message, try again
                failures += 1
                delay = self._backoff(failures)
                log.warning("dead-letter publish failed (%s); retrying in %.2fs", exc, delay)
                await self._pause(delay)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._retry.max_backoff_s, self._retry.initial_backoff_s * 2 ** (attempt - 1))
        return float(ceiling / 2 + self._jitter() * ceiling / 2)

    async def _pause(self, delay: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        except TimeoutError:
            return
        raise ProcessingAbandoned


def _reason(exc: BaseException) -> str:
    text = str(exc) or repr(exc)
    return f"{type(exc).__name__}: {text}"[:2000]
