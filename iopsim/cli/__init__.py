"""Command line: parse, call, print; no logic of its own. One module per family of commands."""

from . import (  # noqa: F401  (each registers its commands)
    analysis_commands,
    metamodel_command,
    program_commands,
    report_commands,
    scenario_commands,
    sensitivity_command,
    size_command,
    sweep_command,
)
from .common import main

__all__ = ["main"]
