"""The spec: its model and field checks (`model`), the checks across the whole spec (`checks`),
the Python inside its strings (`syntax`), the YAML `filler plan` writes (`yaml_writer`)."""
