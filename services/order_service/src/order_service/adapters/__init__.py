"""Persistence of orders in MySQL, always inside the caller's unit of work."""
