"""The benchmarks, run as modules from the repository root (`python -m benchmarks.robustness.run`)
so that they import `filler`, `tests.helpers` and each other like any other package does."""
