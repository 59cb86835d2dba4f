"""The secured servers' fixtures come from ``tests.support.secured.fixtures``, a plugin
of the root conftest."""
