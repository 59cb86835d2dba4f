"""Integration tests of the user-service on a real MariaDB (no brokers needed)."""
