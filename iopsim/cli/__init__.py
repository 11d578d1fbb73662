"""Command line: parse, call, print; no logic of its own. One module per family of commands."""

from . import (  # noqa: F401  (each registers its commands)
    analysis_commands,
    experiment_commands,
    program_commands,
    report_commands,
    scenario_commands,
)
from .common import main

__all__ = ["main"]
