"""The operator's links tried once at start: a misconfigured one (a refused password, a
certificate that does not verify, TLS or plaintext to the wrong port) stops it with
one line naming the link, its address and the setting; an unreachable one is only
logged, and each reading tries it again as always.

Kafka is tried when the routing (EDA_DEFAULT_BROKER, EDA_ROUTES) uses it; RabbitMQ,
over AMQP and its management API, when the routing uses RabbitMQ.
"""

from __future__ import annotations

import logging

from scaling_operator.management import LINK as MANAGEMENT_LINK
from scaling_operator.management import get_json
from scaling_operator.settings import (
    MANAGEMENT_CREDENTIALS_SETTINGS,
    MANAGEMENT_URL_SETTING,
    OperatorConfig,
)
from shared.links import LinkUnavailable, check_broker_links, routed_brokers, try_link
from shared.settings import BrokerKind

log = logging.getLogger(__name__)

WHOAMI = "/api/whoami"
"""Answers any user the management API lets in: the credentials are checked, no more."""


async def check_links(config: OperatorConfig) -> None:
    """Raise LinkMisconfigured for the first misconfigured link; log the unreachable."""
    brokers = routed_brokers(config.eda)
    timeout_s = config.operator.broker_timeout_s
    await check_broker_links(config.eda, brokers, timeout_s)
    if BrokerKind.RABBITMQ in brokers:
        warning = credentials_warning(config)
        if warning:
            log.warning("%s", warning)
        await try_link(MANAGEMENT_LINK, config.management.base_url, timeout_s, _management(config))


def credentials_warning(config: OperatorConfig) -> str | None:
    """What to say when the operator logs in to the management API as someone other
    than a user of its own (None when it has one)."""
    source = config.management.credentials_source
    if source == "own":
        return None
    whose = (
        "the application's credentials (the user of EDA_RABBITMQ__URL)"
        if source == "amqp"
        else f"the user info of {MANAGEMENT_URL_SETTING}"
    )
    return (
        f"the operator uses {whose} for the RabbitMQ management API; give it a"
        f" monitoring user of its own with {MANAGEMENT_CREDENTIALS_SETTINGS}"
    )


class _AnsweredWithError(LinkUnavailable):
    """The management API answered, with a status other than 401 (a 5xx, say)."""


async def _management(config: OperatorConfig) -> None:
    status, _ = await get_json(config.management, WHOAMI)
    if status >= 400:
        raise _AnsweredWithError(f"HTTP {status}")
