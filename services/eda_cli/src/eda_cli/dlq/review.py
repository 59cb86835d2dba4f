"""The step between choosing dead letters and acting on them.

Shows each one's body digest and the source its envelope claims, refuses (for a
replay) those whose recorded origin is not the subscriber's source, asks when asked
to, and writes the audit entry: only then does the store replay or purge what is
left. Refused dead letters stay where they are.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from eda_cli.dlq.audit import Auditor
from eda_cli.dlq.origins import Source
from eda_cli.dlq.records import DeadLetter
from eda_cli.dlq.render import digest_table

SHORT_DIGEST = 12


class DeclinedError(Exception):
    """The question was answered no: nothing is done."""


@dataclass
class Review:
    action: str
    """``replay`` or ``purge``."""
    subscriber: str
    auditor: Auditor
    question: str | None
    """Asked (with the count) before acting; None: not asked."""
    source: Source | None = None
    """A replay's destination: dead letters recorded from elsewhere are refused."""
    refused: list[tuple[DeadLetter, str]] = field(default_factory=list)

    async def approve(self, letters: Sequence[DeadLetter]) -> Sequence[DeadLetter]:
        accepted: list[DeadLetter] = []
        for letter in letters:
            reason = self.source.refusal(letter) if self.source is not None else None
            if reason is None:
                accepted.append(letter)
            else:
                self.refused.append((letter, reason))
        if accepted:
            to = f" to {self.source}" if self.source is not None else ""
            _say(f"to {self.action}{to}:")
            _say(digest_table(accepted, SHORT_DIGEST))
        for letter, reason in self.refused:
            _say(f"refused {letter.id} (sha256:{letter.sha256[:SHORT_DIGEST]}): {reason}")
        if accepted and self.question is not None:
            count = f"{len(accepted)} dead letter" + ("" if len(accepted) == 1 else "s")
            if not await _confirm(self.question.format(count=count)):
                raise DeclinedError
        await self.auditor.record(
            self.action,
            self.subscriber,
            letters=accepted,
            refused=self.refused,
            phase="intent",
            destination=str(self.source) if self.source is not None else None,
        )
        return accepted


async def _confirm(question: str) -> bool:
    try:
        answer = await asyncio.to_thread(input, f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def _say(text: str) -> None:
    print(text, flush=True)
