"""Use cases of the users context: one unit of work each, the change and its events together."""
