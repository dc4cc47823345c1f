"""How long `filler` takes to start: `--help`, `status` and an up-to-date `fill --dry-run`."""
