"""copier-filler: render a typed, tested package skeleton from a spec, then fill its stubs.

The Python API is `filler.api` (`new`, `fill`, `status`, ...); this module stays light because
Copier imports `filler.template_ext` while it renders.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
