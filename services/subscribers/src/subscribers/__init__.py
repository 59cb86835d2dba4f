"""Subscriber processes: one per event type, each running exactly one subscription
with the handler of the context whose state the event changes."""
