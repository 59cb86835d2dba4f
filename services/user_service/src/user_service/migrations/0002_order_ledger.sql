-- What this service has heard about each order, so that order.confirmed and
-- order.cancelled change a user's statistics at most once each and end exact in
-- whichever order they arrive. An order counts while confirmed_at is set and
-- cancelled_at is not; currency and amount are what counting it adds.
CREATE TABLE IF NOT EXISTS order_ledger (
    order_id CHAR(36) NOT NULL PRIMARY KEY,
    user_id CHAR(36) NOT NULL,
    currency CHAR(3) NOT NULL,
    amount DECIMAL(14,2) NOT NULL,
    confirmed_at DATETIME(6) NULL,
    cancelled_at DATETIME(6) NULL,
    cancelled_from ENUM('pending', 'confirmed') NULL,
    CONSTRAINT order_ledger_user FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT order_ledger_not_negative CHECK (amount >= 0),
    CONSTRAINT order_ledger_cancellation CHECK ((cancelled_at IS NULL) = (cancelled_from IS NULL))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One notification per (kind, order): a re-sent order.rejected adds nothing.
ALTER TABLE notifications ADD UNIQUE KEY IF NOT EXISTS notifications_once (kind, order_id);
