"""One fill: the run (`pipeline`), each unit's repair loop as a generator (`flow`), what the model
is shown (`context`), what a reply's code is (`extract`), the candidate's tests (`runner`) in
their confinement (`sandbox`), and the process pool for CPU-bound judging (`workers`)."""
