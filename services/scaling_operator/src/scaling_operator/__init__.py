"""Scales each subscriber Deployment on its own broker backlog."""
