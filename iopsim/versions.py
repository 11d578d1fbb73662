"""Versions of Python, iopsim and the libraries whose versions can change a number iopsim writes.

Read from package metadata (no imports, so recording them costs nothing); every run, sweep, sizing and
sensitivity folder records them so that a figure can be traced to the software that made it.
"""

from __future__ import annotations

import platform
from importlib import metadata

from . import __version__

LIBRARIES = ("simpy", "numpy", "scipy", "pandas", "pyarrow", "SALib", "dask", "distributed", "pydantic", "pyDOE3")
"""Distributions whose versions can change a number in the tables (or which wrote them)."""


def versions() -> dict[str, str | None]:
    """Python, iopsim and LIBRARIES (None if not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version(), "iopsim": __version__}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out
