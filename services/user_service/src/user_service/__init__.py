"""The user-service: registers and deactivates users, keeps their order statistics
and notifications, and announces every change through its transactional outbox."""
