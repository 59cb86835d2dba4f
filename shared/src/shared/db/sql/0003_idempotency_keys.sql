-- replaces: user_service:0003_idempotency_keys, order_service:0004_idempotency_keys
-- Idempotency-Key of the APIs' POSTs (decision 20), one table in every service's
-- database, written by shared.service.idempotency_keys. Until decision 35 each
-- service carried its own copy of this file.
-- A row is claimed (status NULL) before the request runs, then completed with the
-- response in the transaction of the change; `claim` says which request holds it.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    caller VARCHAR(255) NOT NULL,
    idempotency_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fingerprint CHAR(64) CHARACTER SET ascii NOT NULL,
    claim CHAR(32) CHARACTER SET ascii NOT NULL,
    claimed_at DATETIME(6) NOT NULL,
    response_status SMALLINT UNSIGNED NULL,
    response_headers TEXT NULL,
    response_body MEDIUMTEXT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (caller, idempotency_key),
    KEY idempotency_keys_by_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
