"""Event contracts as files: a JSON Schema per event type and version, an AsyncAPI
document for the whole system, and the check that a registered model still matches
the schema committed for it.

``eda-schemas generate`` writes them under ``docs/events``; ``eda-schemas check``
fails when they are stale or when a model changed in a way that breaks its version.
"""
