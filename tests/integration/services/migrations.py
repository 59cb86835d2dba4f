"""The migrations each service applies, in order: the platform's, then its own."""

from __future__ import annotations

from tests.support.service_apps import ORDER_SERVICE, USER_SERVICE

PLATFORM = [
    "shared:0001_processed_events",
    "shared:0002_outbox",
    "shared:0003_idempotency_keys",
    "shared:0004_idempotency_claim_held",
]


EXPECTED = {
    USER_SERVICE: [
        *PLATFORM,
        "user_service:0001_users",
        "user_service:0002_order_ledger",
        "user_service:0005_users_known_by_provider_identity",
    ],
    ORDER_SERVICE: [
        *PLATFORM,
        "order_service:0001_orders",
        "order_service:0002_customers",
        "order_service:0003_customers_known_by_any_fact",
        "order_service:0006_customers_known_by_identity",
    ],
}
