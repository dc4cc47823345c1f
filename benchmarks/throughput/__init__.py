"""Throughput: wall time of `filler fill` against a loopback model of fixed latency."""
