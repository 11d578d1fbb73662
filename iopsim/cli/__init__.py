"""Command line: parse, call, print; no logic of its own. One module per family of commands."""

from . import scenario_commands  # noqa: F401  (registers validate, schema, init, run)
from .common import main

__all__ = ["main"]
