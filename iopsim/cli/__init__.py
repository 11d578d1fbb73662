"""Command line: parse, call, print; no logic of its own. One module per family of commands."""

from . import analysis_commands, experiment_commands, report_commands, scenario_commands  # noqa: F401  (each registers its commands)
from .common import main

__all__ = ["main"]
