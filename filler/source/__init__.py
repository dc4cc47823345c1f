"""A project module's Python source: the questions asked about it and its parse caches
(`syntax`), its units and their hashes (`units`), putting a body into a skeleton (`merge`, with
the libcst transformers of `transforms`), the structural merge of `filler update`
(`structural`), and formatting (`formatting`, through `ruff_server`). Pure functions over text,
except the ruff processes."""
