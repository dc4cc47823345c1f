"""Helpers shared by the test modules (real files, git, Copier and virtual environments)."""
