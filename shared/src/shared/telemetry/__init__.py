"""Traces, metrics and logs, set up once per process from the environment.

Tracing is configured only by the standard ``OTEL_*`` variables and is off unless
an OTLP endpoint or ``OTEL_TRACES_EXPORTER=otlp`` is set: when it is off, every hook
in ``shared`` is a single ``None`` check.
"""
