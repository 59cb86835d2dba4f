"""`eda dlq`: which recorded origins a subscriber's replay accepts, who the audit
record names, and the --since forms, without a broker."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import pytest

from eda_cli.dlq.audit import ACTOR_VARIABLE, actor
from eda_cli.dlq.audit_command import since
from eda_cli.dlq.origins import source_of
from eda_cli.dlq.records import DeadLetter, dead_letter
from eda_cli.dlq.targets import Target
from shared.messaging import dead_letter_record
from shared.settings import BrokerKind, Settings, load_settings


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("EDA_KAFKA__TOPIC_PREFIX", "stage.")
    monkeypatch.setenv("EDA_RABBITMQ__QUEUE_PREFIX", "stage.")
    monkeypatch.setenv("EDA_RABBITMQ__EXCHANGE", "events")
    return load_settings()


def _recorded(origin: str | None) -> DeadLetter:
    headers = {dead_letter_record.ORIGIN: origin} if origin is not None else {}
    return dead_letter("0:0", b"{}", None, headers)


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("stage.order.placed/0@12", True),
        ("stage.order.placed/5@0", True),
        ("stage.order.confirmed/0@12", False),
        ("order.placed/0@12", False),  # another prefix: another environment's topic
        ("stage.order.placed/x/0@1", False),
        ("stage.order.placed", False),
        (None, False),
    ],
)
def test_a_kafka_replay_accepts_only_the_subscribers_own_topic(
    settings: Settings, origin: str | None, accepted: bool
) -> None:
    source = source_of(settings, Target("orders.order-placed", "order.placed", BrokerKind.KAFKA))
    assert str(source) == "topic stage.order.placed"
    letter = _recorded(origin)
    assert (source.refusal(letter) is None) is accepted


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("events/order.placed", True),
        ("/stage.orders.order-placed", True),  # replayed once through the default exchange
        ("events/order.confirmed", False),
        ("other/order.placed", False),
        ("/stage.users.order-confirmed", False),
        (None, False),
    ],
)
def test_a_rabbitmq_replay_accepts_only_the_subscribers_own_routes(
    settings: Settings, origin: str | None, accepted: bool
) -> None:
    target = Target("orders.order-placed", "order.placed", BrokerKind.RABBITMQ)
    source = source_of(settings, target)
    assert str(source) == "queue stage.orders.order-placed"
    letter = _recorded(origin)
    assert (source.refusal(letter) is None) is accepted


def test_the_refusal_names_the_mismatch(settings: Settings) -> None:
    source = source_of(settings, Target("orders.order-placed", "order.placed", BrokerKind.KAFKA))
    reason = source.refusal(_recorded("stage.order.confirmed/0@0"))
    assert reason == (
        "its recorded origin stage.order.confirmed/0@0 is not the subscriber's source,"
        " topic stage.order.placed"
    )


def test_the_actor_is_the_option_else_the_variable_else_the_os_user(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ACTOR_VARIABLE, "from-env")
    assert actor("alice") == "alice"
    assert actor(None) == "from-env"
    assert actor("  ") == "from-env"
    assert actor("bob\n\x1b[31m") == "bob[31m", "no control characters in the record"
    monkeypatch.delenv(ACTOR_VARIABLE)
    assert actor(None)


def test_since_takes_a_time_or_an_age() -> None:
    assert since("2026-12-01") == datetime(2026, 12, 1, tzinfo=UTC)
    assert since("2026-12-01T10:00:00+01:00") == datetime(2026, 12, 1, 9, tzinfo=UTC)
    before = datetime.now(UTC)
    twelve_hours_ago = since("12h")
    assert (
        before - timedelta(hours=12) <= twelve_hours_ago <= datetime.now(UTC) - timedelta(hours=12)
    )
    with pytest.raises(argparse.ArgumentTypeError, match="neither an ISO 8601"):
        since("yesterday")
