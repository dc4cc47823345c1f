"""Fixtures shared by every test module live in tests/helpers/; this file only registers them."""

pytest_plugins = ["tests.helpers.projects"]
