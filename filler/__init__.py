"""copier-filler: render a typed, tested package skeleton from a spec, then fill every stub with an LLM."""

__version__ = "0.1.0"

__all__ = ["__version__"]
