"""How the benchmarks measure and check: clocks, latency percentiles, rounds side by
side, reading back what a broker holds, and the audit of what was delivered."""
