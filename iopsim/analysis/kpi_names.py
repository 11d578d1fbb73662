"""Every KPI name a run of a scenario reports, in one place, and how a planner may spell them.

The fixed KPIs (kpis.KPI_UNITS) are reported by every run; per-track ones (`track_<track>_<kpi>`)
only with `tracks:`, per-shift ones (`shift_<shift>_<kpi>`) only with `counselors.shifts`, and the
money ones only with `finance:`. So whether a name is valid depends on the scenario: `size --target`,
an experiment's `kpis:` and `replications --kpi` all ask `resolve_kpi` with the scenario in hand.

A per-track or per-shift KPI may also be written `KPI:NAME`, the KPI it breaks down and the track
or shift: `wait_to_admission_days_mean:evening`, `counselor_utilization_pct:day`.
"""

from __future__ import annotations

import difflib
import re

from .finance import FINANCE_KPIS, finance_units
from .kpis import KPI_UNITS, SHIFT_KPIS, TRACK_KPIS, shift_kpi, track_kpi
from .staffing import STAFFING_KPIS, staffing_units

SEPARATOR = ":"


def kpi_names(scenario) -> dict[str, str]:
    """Every KPI a run of `scenario` reports -> its unit, in the order of a KPI row: the fixed ones, per
    track, per shift, then money; the staffing ones with leave or turnover (`scenario` None: the fixed ones only)."""
    names = dict(KPI_UNITS)
    if scenario is None:
        return names
    names.update(staffing_units(scenario))  # with counselor leave or turnover
    for track in scenario.tracks or []:
        names.update({track_kpi(track.name, k): KPI_UNITS[k] for k in TRACK_KPIS})
    for shift in scenario.counselors.shifts or []:
        names.update({shift_kpi(shift.name, k): KPI_UNITS[k] for k in SHIFT_KPIS})
    if scenario.finance is not None:
        names.update(finance_units(scenario.finance))
    return names


def _spellings(scenario) -> dict[str, str]:
    """Every accepted spelling -> the KPI it names (the names themselves and the KPI:NAME forms)."""
    out = {name: name for name in kpi_names(scenario)}
    if scenario is None:
        return out
    for track in scenario.tracks or []:
        out.update({f"{k}{SEPARATOR}{track.name}": track_kpi(track.name, k) for k in TRACK_KPIS})
    for shift in scenario.counselors.shifts or []:
        out.update({f"{k}{SEPARATOR}{shift.name}": shift_kpi(shift.name, k) for k in SHIFT_KPIS})
    return out


def could_be_kpi(name: str) -> bool:
    """Whether `name` may be a KPI of some scenario: a fixed or money KPI, a per-payer one, anything
    per track or shift (`track_...`, `shift_...`, `KPI:NAME` of a KPI that is broken down). What can be
    checked before the scenario is read; `resolve_kpi` checks it exactly, with the scenario's names."""
    if name in KPI_UNITS or name in STAFFING_KPIS or name in FINANCE_KPIS or re.fullmatch(r"revenue_[a-z0-9_]+_per_year", name):
        return True
    base, sep, qualifier = name.partition(SEPARATOR)
    if sep:
        return bool(qualifier) and (base in TRACK_KPIS or base in SHIFT_KPIS)
    return name.startswith(("track_", "shift_"))


class UnknownKpi(ValueError):
    """A KPI name this scenario's runs do not report; the message lists the nearest names."""


def resolve_kpi(name: str, scenario) -> str:
    """The KPI `name` stands for in runs of `scenario` (a name or a KPI:NAME spelling); raises UnknownKpi
    saying what is near, and how per-track and per-shift KPIs are spelled."""
    spellings = _spellings(scenario)
    if name in spellings:
        return spellings[name]
    near = difflib.get_close_matches(name, list(spellings), n=3, cutoff=0.6)
    message = f"unknown KPI {name!r}"
    if near:
        message += "; did you mean " + " or ".join(repr(n) for n in near) + "?"
    hints = []
    if scenario is not None and scenario.tracks:
        hints.append(f"per track KPI{SEPARATOR}TRACK (tracks: {', '.join(t.name for t in scenario.tracks)}; "
                     f"KPIs: {', '.join(TRACK_KPIS)})")
    if scenario is not None and scenario.counselors.shifts:
        hints.append(f"per shift KPI{SEPARATOR}SHIFT (shifts: {', '.join(s.name for s in scenario.counselors.shifts)};"
                     f" KPIs: {', '.join(SHIFT_KPIS)})")
    if not near and not hints:
        message += f"; KPIs: {', '.join(kpi_names(scenario))}"
    elif hints:
        message += "; " + "; ".join(hints)
    if SEPARATOR in name and scenario is not None and not (scenario.tracks or scenario.counselors.shifts):
        message += "; this scenario declares no tracks or counselor shifts"
    raise UnknownKpi(message)
