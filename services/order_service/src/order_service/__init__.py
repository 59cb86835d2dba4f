"""order-service: the HTTP API for orders, its MySQL schema and its outbox relay."""
