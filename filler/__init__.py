"""copier-filler: render a typed, tested package skeleton from a spec, then fill its stubs.

The Python API, for scripts and notebooks (README.md, "Python API", lists the same names):

- the operations `new`, `fill`, `status`, `update` and `plan` (`filler.api`) and the settings
  they take, `FillFlags` and `Overrides`;
- what they return: `Project`, `RunRecord` (of `UnitRecord`s, each with an `Outcome`),
  `StatusRow` (with a `State`), `UpdateResult`, `PlanResult`;
- the spec model: `Spec`, `Feature`, `Function`, `ClassSpec`, `Method`, `Example`, and
  `load_spec`, `validate_spec`, `spec_errors`;
- the errors users catch: `FillerError` and its branches (`filler.errors` has the whole tree).

Everything else is internal. Copier imports `filler.template_ext`, and so this package, while it
renders: the names are imported on first use (PEP 562), so `import filler` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from filler.api import FillFlags, StatusRow, fill, new, plan, status, update
    from filler.config import Overrides
    from filler.errors import (
        ConfigError,
        FillerError,
        PlanFailed,
        ProjectError,
        ProviderError,
        SpecError,
        UserError,
    )
    from filler.lockfile import State
    from filler.plan import PlanResult
    from filler.project import Project
    from filler.report import Outcome, RunRecord, UnitRecord
    from filler.spec.model import (
        ClassSpec,
        Example,
        Feature,
        Function,
        Method,
        Spec,
        load_spec,
        spec_errors,
        validate_spec,
    )
    from filler.update import UpdateResult

__version__ = "0.1.0"

# Each public name and the module that defines it.
_HOMES = {
    "filler.api": ("FillFlags", "StatusRow", "fill", "new", "plan", "status", "update"),
    "filler.config": ("Overrides",),
    "filler.errors": (
        "ConfigError",
        "FillerError",
        "PlanFailed",
        "ProjectError",
        "ProviderError",
        "SpecError",
        "UserError",
    ),
    "filler.lockfile": ("State",),
    "filler.plan": ("PlanResult",),
    "filler.project": ("Project",),
    "filler.report": ("Outcome", "RunRecord", "UnitRecord"),
    "filler.spec.model": (
        "ClassSpec",
        "Example",
        "Feature",
        "Function",
        "Method",
        "Spec",
        "load_spec",
        "spec_errors",
        "validate_spec",
    ),
    "filler.update": ("UpdateResult",),
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ClassSpec",
    "ConfigError",
    "Example",
    "Feature",
    "FillFlags",
    "FillerError",
    "Function",
    "Method",
    "Outcome",
    "Overrides",
    "PlanFailed",
    "PlanResult",
    "Project",
    "ProjectError",
    "ProviderError",
    "RunRecord",
    "Spec",
    "SpecError",
    "State",
    "StatusRow",
    "UnitRecord",
    "UpdateResult",
    "UserError",
    "__version__",
    "fill",
    "load_spec",
    "new",
    "plan",
    "spec_errors",
    "status",
    "update",
    "validate_spec",
]


def __getattr__(name: str) -> object:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'filler' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
