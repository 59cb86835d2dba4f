"""The users context's model: entities, invariants and the events a change raises (no I/O)."""
