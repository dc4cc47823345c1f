"""What every benchmark result records about the machine it was measured on."""

from __future__ import annotations

import os
import platform


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
    }
