-- Transactional outbox: events written with the change that raised them, published
-- by the relay. Rows of one aggregate share a bucket; a relay locks whole buckets,
-- so one aggregate's rows are published by one relay at a time, in id order.
CREATE TABLE IF NOT EXISTS outbox (
    id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
    event_id VARCHAR(255) NOT NULL,
    event_type VARCHAR(120) NOT NULL,
    aggregate_id VARCHAR(255) NOT NULL,
    bucket SMALLINT UNSIGNED NOT NULL,
    payload MEDIUMTEXT NOT NULL,
    traceparent VARCHAR(55) NULL,
    tracestate VARCHAR(512) NULL,
    created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    published_at TIMESTAMP(6) NULL,
    UNIQUE KEY outbox_event_id (event_id),
    KEY outbox_pending (published_at, bucket, id)
) ENGINE=InnoDB CHARACTER SET utf8mb4;

CREATE TABLE IF NOT EXISTS outbox_buckets (
    bucket SMALLINT UNSIGNED NOT NULL PRIMARY KEY
) ENGINE=InnoDB;

INSERT IGNORE INTO outbox_buckets (bucket) VALUES
    (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15);
