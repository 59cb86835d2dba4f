"""Counts of one phase of a run: what was sent, what came back, how late it started."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

LATE_S = 0.005
"""A start later than this behind its schedule is counted as late (timer jitter is not)."""
UNANSWERED = "unanswered"


@dataclass
class Tally:
    name: str
    expected_status: int
    started_at: float = field(default_factory=time.monotonic)
    sent: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    late_starts: int = 0
    latest_start_s: float = 0.0
    slot_waits: int = 0
    first_start_at: float | None = None
    last_start_at: float | None = None
    first_answer_at: float | None = None
    last_answer_at: float | None = None

    def started(self, late_s: float, *, waited_for_slot: bool) -> None:
        self.sent += 1
        self.last_start_at = time.monotonic()
        if self.first_start_at is None:
            self.first_start_at = self.last_start_at
        self.slot_waits += waited_for_slot
        if late_s > LATE_S:
            self.late_starts += 1
            self.latest_start_s = max(self.latest_start_s, late_s)

    def answered(self, outcome: str, latency_s: float, *, at: float | None = None) -> None:
        """``at``: when, on the monotonic clock (now unless given)."""
        self.outcomes[outcome] += 1
        self.latencies_s.append(latency_s)
        at = time.monotonic() if at is None else at
        self.first_answer_at = at if self.first_answer_at is None else min(self.first_answer_at, at)
        self.last_answer_at = at if self.last_answer_at is None else max(self.last_answer_at, at)

    def unanswered(self, count: int) -> None:
        """Requests given up on without an answer: counted among the errors."""
        if count:
            self.outcomes[UNANSWERED] += count

    @property
    def completed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def ok(self) -> int:
        return self.outcomes[str(self.expected_status)]

    @property
    def errors(self) -> Counter[str]:
        return Counter(
            {
                outcome: n
                for outcome, n in self.outcomes.items()
                if outcome != str(self.expected_status)
            }
        )

    def start_rate(self) -> float | None:
        """Starts per second, first to last: the offered load (None below two starts)."""
        if self.first_start_at is None or self.last_start_at is None or self.sent < 2:
            return None
        elapsed = self.last_start_at - self.first_start_at
        return (self.sent - 1) / elapsed if elapsed > 0 else None

    def ok_rate(self) -> float:
        """Expected answers per second from the first answer to the last, ``(n - 1)`` over
        the ``n - 1`` intervals between them: the offered rate when the system kept pace,
        less when it fell behind. (``n`` over the time from the first start would count a
        latency in as well, and stay under the offered rate even when in step.)"""
        if self.first_answer_at is None or self.last_answer_at is None:
            return 0.0
        span = max(self.last_answer_at - self.first_answer_at, 1e-9)
        return max(self.ok - 1, 0) / span

    def rate(self, now: float | None = None) -> float:
        """Answers per second since the phase started."""
        end = now if now is not None else (self.last_answer_at or time.monotonic())
        elapsed = end - self.started_at
        return self.completed / elapsed if elapsed > 0 else 0.0

    def progress_line(self, now: float) -> str:
        return (
            f"[{now - self.started_at:6.1f}s] {self.name}: sent {self.sent}  ok {self.ok}"
            f"  errors {sum(self.errors.values())}{_by_outcome(self.errors)}"
            f"  rate {self.rate(now):.1f}/s  in flight {self.sent - self.completed}"
        )

    def summary(self, requested_rate: float) -> list[str]:
        errors = self.errors
        lines = [
            f"{self.name}: sent {self.sent}, ok {self.ok} ({self.expected_status}),"
            f" errors {sum(errors.values())}{_by_outcome(errors)}",
            f"  started {_per_second(self.start_rate())} of {requested_rate:g}/s requested;"
            f" answered {self.rate():.1f}/s (from the first start to the last answer)",
        ]
        if self.latencies_s:
            lines.append(f"  latency {_latency(self.latencies_s)}")
        if self.late_starts:
            lines.append(
                f"  {self.late_starts} starts behind schedule (at most"
                f" {self.latest_start_s * 1000:.0f} ms), {self.slot_waits} of all starts"
                " waited for a free request slot"
            )
        return lines


def _per_second(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1f}/s"


def _by_outcome(outcomes: Counter[str]) -> str:
    if not outcomes:
        return ""
    return " (" + ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items())) + ")"


def _latency(latencies_s: list[float]) -> str:
    milliseconds = sorted(value * 1000 for value in latencies_s)
    if len(milliseconds) == 1:
        return f"{milliseconds[0]:.0f} ms"
    cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
    return (
        f"p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms, p99 {cuts[98]:.0f} ms,"
        f" max {milliseconds[-1]:.0f} ms"
    )
