"""What the benchmarks send: event payloads, ``POST /orders`` bodies and the lean HTTP
client that sends them, outbox rows."""
