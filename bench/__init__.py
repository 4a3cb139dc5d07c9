"""Benchmarks that print ratios (run from the project folder: ``python -m bench.<name>``)."""
