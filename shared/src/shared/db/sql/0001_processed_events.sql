-- Idempotent consumption: one row per (subscriber, event id) handled.
CREATE TABLE IF NOT EXISTS processed_events (
    subscriber VARCHAR(120) NOT NULL,
    event_id VARCHAR(255) NOT NULL,
    processed_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (subscriber, event_id)
) ENGINE=InnoDB;
