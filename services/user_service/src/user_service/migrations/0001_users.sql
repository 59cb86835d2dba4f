-- Users, their spend per currency and their notifications. Timestamps are UTC.
CREATE TABLE IF NOT EXISTS users (
    id CHAR(36) NOT NULL PRIMARY KEY,
    -- Binary collation: the service lower-cases, and accents must stay distinct.
    email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(200) NOT NULL,
    status ENUM('active', 'deactivated') NOT NULL,
    orders_count INT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    UNIQUE KEY users_email (email),
    KEY users_page (created_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS user_spend (
    user_id CHAR(36) NOT NULL,
    currency CHAR(3) NOT NULL,
    amount DECIMAL(14,2) NOT NULL,
    PRIMARY KEY (user_id, currency),
    CONSTRAINT user_spend_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT user_spend_not_negative CHECK (amount >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS notifications (
    id CHAR(36) NOT NULL PRIMARY KEY,
    user_id CHAR(36) NOT NULL,
    kind VARCHAR(50) NOT NULL,
    message VARCHAR(1000) NOT NULL,
    order_id CHAR(36) NULL,
    created_at DATETIME(6) NOT NULL,
    KEY notifications_by_user (user_id, created_at, id),
    CONSTRAINT notifications_user FOREIGN KEY (user_id) REFERENCES users (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
