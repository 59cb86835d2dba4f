-- Orders and their lines. Times are UTC, written by the service (the event's time
-- and the row's time are the same value). Keyset pages read (created_at, id).
CREATE TABLE IF NOT EXISTS orders (
    id CHAR(36) NOT NULL PRIMARY KEY,
    user_id CHAR(36) NOT NULL,
    status VARCHAR(16) NOT NULL,
    currency CHAR(3) NOT NULL,
    total DECIMAL(14,2) NOT NULL,
    reason VARCHAR(500) NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    CONSTRAINT orders_status CHECK (status IN ('pending', 'confirmed', 'rejected', 'cancelled')),
    KEY orders_by_created (created_at, id),
    KEY orders_by_user (user_id, created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS order_items (
    order_id CHAR(36) NOT NULL,
    line_no SMALLINT UNSIGNED NOT NULL,
    sku VARCHAR(64) NOT NULL,
    quantity INT UNSIGNED NOT NULL,
    unit_price DECIMAL(14,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_items_order FOREIGN KEY (order_id) REFERENCES orders (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
