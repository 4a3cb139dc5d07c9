"""Maintenance commands for the project's files (not imported by the app)."""
