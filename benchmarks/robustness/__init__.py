"""Robustness: how `extract` and `judge` handle replies broken in every known way."""
