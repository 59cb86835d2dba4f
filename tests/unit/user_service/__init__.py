"""Unit tests of the user-service: pure domain rules, no I/O."""
