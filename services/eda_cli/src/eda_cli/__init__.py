"""The `eda` command for operators of a running system."""
