"""A consumer's fetch wait: the configured one while records come, the idle one after
a second without records, the configured one again at the first record."""

from __future__ import annotations

from shared.messaging.kafka._consumer.fetch_wait import IDLE_AFTER_S, FetchWait

BUSY_MS = 10
IDLE_MS = 100


def test_the_wait_stays_short_while_records_come() -> None:
    wait = FetchWait(BUSY_MS, IDLE_MS, now=0.0)
    seen = [wait.after_poll(got_records=True, now=t * 0.2) for t in range(20)]
    assert set(seen) == {BUSY_MS}


def test_a_second_without_records_lengthens_the_wait() -> None:
    wait = FetchWait(BUSY_MS, IDLE_MS, now=0.0)
    assert wait.after_poll(got_records=False, now=IDLE_AFTER_S - 0.01) == BUSY_MS
    assert wait.after_poll(got_records=False, now=IDLE_AFTER_S) == IDLE_MS


def test_the_first_record_after_idle_shortens_it_again() -> None:
    wait = FetchWait(BUSY_MS, IDLE_MS, now=0.0)
    wait.after_poll(got_records=False, now=60.0)
    assert wait.after_poll(got_records=True, now=60.1) == BUSY_MS
    assert wait.after_poll(got_records=False, now=60.2) == BUSY_MS, "not idle again at once"


def test_without_an_idle_wait_nothing_changes() -> None:
    wait = FetchWait(BUSY_MS, None, now=0.0)
    assert wait.after_poll(got_records=False, now=3600.0) == BUSY_MS


def test_an_idle_wait_below_the_busy_one_never_shortens_it() -> None:
    wait = FetchWait(500, IDLE_MS, now=0.0)
    assert wait.after_poll(got_records=False, now=5.0) == 500
