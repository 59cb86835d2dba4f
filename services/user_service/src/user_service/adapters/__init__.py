"""MySQL repositories of the users context; each works inside a caller's unit of work."""
