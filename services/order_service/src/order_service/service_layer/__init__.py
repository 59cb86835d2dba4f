"""Use cases: each opens one unit of work, writes the change and its outbox rows, commits."""
