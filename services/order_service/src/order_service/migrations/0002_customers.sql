-- The customer projection: filled by the user.registered / user.deactivated
-- subscribers, read when an order.placed is confirmed or rejected.
CREATE TABLE IF NOT EXISTS customers (
    user_id CHAR(36) NOT NULL PRIMARY KEY,
    email VARCHAR(254) NOT NULL,
    active BOOL NOT NULL DEFAULT TRUE,
    updated_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
