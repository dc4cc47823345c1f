"""A project module's Python source: its units and their hashes (`units`), putting a body into a
skeleton (`merge`), the structural merge of `filler update` (`structural`), and formatting
(`formatting`, through `ruff_server`). Pure functions over text, except the ruff processes."""
