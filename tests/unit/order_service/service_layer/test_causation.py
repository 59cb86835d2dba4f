"""A reaction's events come from the event that caused them: they name it, keep its
correlation id and continue its trace, under this service's own source."""

from __future__ import annotations

import uuid

from order_service.service_layer.causation import Causation
from shared.envelope import wrap
from shared.events import OrderRejectedV1, UserDeactivatedV1
from tests.unit.order_service.service_layer.conftest import NOW, SOURCE

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_an_event_raised_in_reaction_names_its_cause_and_keeps_its_flow() -> None:
    cause = wrap(
        UserDeactivatedV1(user_id=uuid.uuid4(), deactivated_at=NOW),
        source="urn:eda:user-service",
        correlation_id="flow-1",
        traceparent=TRACEPARENT,
        tracestate="vendor=1",
    )
    reaction = OrderRejectedV1(
        order_id=uuid.uuid4(), user_id=uuid.uuid4(), reason="no", rejected_at=NOW
    )

    envelope = Causation.of(cause, source=SOURCE).wrap(reaction)

    assert (envelope.source, envelope.type) == (SOURCE, "order.rejected")
    assert (envelope.causationid, envelope.correlationid) == (cause.id, "flow-1")
    assert (envelope.traceparent, envelope.tracestate) == (TRACEPARENT, "vendor=1")
    assert envelope.id != cause.id


def test_an_event_with_no_cause_starts_its_own_flow() -> None:
    event = OrderRejectedV1(
        order_id=uuid.uuid4(), user_id=uuid.uuid4(), reason="no", rejected_at=NOW
    )
    envelope = Causation(SOURCE).wrap(event)
    assert (envelope.causationid, envelope.correlationid) == (None, envelope.id)
    assert envelope.traceparent is None
