"""The spec: its model and field checks (`model`, its shared words in `kinds`), the checks
across the whole spec (`checks`, with `declarations` for what the template writes whole, `calls`
for example calls against signatures, and `names` for what a name refers to), the Python inside
its strings (`syntax`), the skeleton views (`views`) and the YAML `filler plan` writes
(`yaml_writer`)."""
