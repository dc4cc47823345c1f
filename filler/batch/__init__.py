"""`filler fill --batch`: each round of the fill flow as one job of a provider's batch API.

- `jobs`: what every batch API offers (`BatchApi`, `BatchJob`, `LineResult`), as pure types;
- `state`: `.filler/batch.json`, the batches in flight and the replies already in;
- `session`: `Batching`, the provider layer that gathers a round's calls into a batch;
- `run`: the fill driven through it, and cancelling it.
"""
