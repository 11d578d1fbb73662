"""Compact per-patient records: one row per referral, in one flat typed array.

A patient object lives only while the patient is in the system; when it leaves (or the run
ends) its times and counts are copied into a typed array, so memory grows by 208 bytes (26
doubles) per referral rather than by everything that ever happened.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from enum import IntEnum
from struct import Struct

import numpy as np


class Outcome(IntEnum):
    """Where a referral ended up: exactly one per patient."""

    IN_SYSTEM = 0  # still waiting or in treatment when the run ended
    REFERRED_OUT_MILD = 1  # mild SUD: standard outpatient
    REFERRED_OUT_HOME = 2  # unsupportive home: higher level of care
    REFERRED_OUT_DETOX = 3  # sent to medical detox and did not come back
    REFERRED_OUT_WAITLIST_FULL = 4  # eligible, but the waitlist was closed
    INTAKE_NO_SHOW = 5  # missed intake appointments beyond the rebookings offered
    RENEGED_INTAKE = 6  # gave up waiting for an intake appointment
    RENEGED_WAITLIST = 7  # gave up waiting for admission
    GRADUATED = 8  # completed every phase
    DROPPED_OUT = 9  # left treatment against advice
    RELAPSE_DISCHARGE = 10  # discharged by the program after relapse (TEDS 'terminated by facility')
    STEPPED_UP = 11  # transferred to a higher level of care after relapse (TEDS 'transferred')
    TRANSFERRED = 12  # early transfer to another program or a step-down (TEDS 'transferred')
    NON_STARTER = 13  # admitted but never attended a group (TEDS counts them as dropped out)


REFERRED_OUT = (
    Outcome.REFERRED_OUT_MILD,
    Outcome.REFERRED_OUT_HOME,
    Outcome.REFERRED_OUT_DETOX,
    Outcome.REFERRED_OUT_WAITLIST_FULL,
)
TREATMENT_ENDS = (Outcome.GRADUATED, Outcome.DROPPED_OUT, Outcome.RELAPSE_DISCHARGE, Outcome.STEPPED_UP,
                  Outcome.TRANSFERRED, Outcome.NON_STARTER)


class AftercareStatus(IntEnum):
    NOT_OFFERED = 0  # did not graduate, or aftercare disabled
    DECLINED = 1
    NO_SEAT = 2  # waited longer than their patience for a seat
    WAITING = 3  # waiting for a seat when the run ended
    ATTENDING = 4  # in aftercare when the run ended
    COMPLETED = 5
    DROPPED_OUT = 6
    RELAPSED_RETURNED = 7  # left aftercare after a relapse, to be referred to treatment again


# Times are in days since the start of the run; NaN where the step was never reached.
TIME_FIELDS = (
    "referred",  # referral arrived
    "assessment_start",  # intake assessment began (the appointment that was kept)
    "decided",  # eligibility decided, or left before that
    "waitlist_in",
    "waitlist_out",
    "admitted",
    "treatment_end",
    "aftercare_queue_in",
    "aftercare_start",
    "aftercare_end",
    "ended",  # left the system entirely (outcome time)
)
# Counts of program activity (floats: tests and meetings accrue per week in a phase).
ACTIVITY_FIELDS = ("drug_tests", "breathalyzers", "self_help_meetings", "group_hours_attended")
COUNT_FIELDS = (
    "pid",
    "outcome",
    "aftercare_status",
    "relapses",
    "relapses_detected",
    "sessions_attended",
    "sessions_missed",
    "no_shows",
    "detox_returner",
    "phase_reached",
    "aftercare_relapses",
)
FIELDS = TIME_FIELDS + ACTIVITY_FIELDS + COUNT_FIELDS


def phase_start_column(phase_index: int) -> str:
    return f"phase_start_{phase_index}"


CHUNK_ROWS = 4096  # rows handed to the sink at a time


def _row_packer(fields: tuple[str, ...], pack: Callable[..., bytes], padding: list[list[float]]) -> Callable[..., bytes]:
    """`row(patient)`: the packed row, `pack(patient.<field>, ..., *phase starts, *NaN padding)`.

    Written as source and compiled once per run: the interpreter reads each attribute in a
    specialised instruction, about twice as fast as `operator.attrgetter`'s generic lookups,
    and the values go to `pack` without an intermediate tuple (half a microsecond a row).
    """
    n_phases = len(padding) - 1
    reads = ", ".join(f"p.{name}" for name in fields)
    source = f"lambda p: pack({reads}, *p.phase_starts, *padding[{n_phases} - len(p.phase_starts)])"
    return eval(source, {"pack": pack, "padding": padding})  # fields are attribute names of our own


class Records:
    """Row store of finished patients: one flat array of doubles, FIELDS per row, then the time
    each phase was first entered (NaN if never).

    Every CHUNK_ROWS rows go to `sink` (the KPI tally) as columns. With `keep=False` they are
    then dropped, so memory no longer grows with the number of referrals; with `keep=True` (the
    default) they stay for the per-patient table. Each row is packed by one precompiled `Struct`
    (native doubles, the array's own layout): a third of the cost of `array.extend` with the
    values, which converts them one by one. Counts are small integers, exact as doubles, and
    come back as integer columns.
    """

    def __init__(self, n_phases: int = 0, sink: Callable[[dict[str, np.ndarray]], None] | None = None,
                 keep: bool = True, extra: tuple[str, ...] = ()) -> None:
        """`extra`: further integer attributes recorded after FIELDS (e.g. "track", only when tracks are declared)."""
        self._rows = array("d")
        self.fields = FIELDS + extra
        self._counts = frozenset(COUNT_FIELDS + extra)
        self.n_phases = n_phases
        self._padding = [[math.nan] * k for k in range(n_phases + 1)]
        self.width = len(self.fields) + n_phases
        self.sink = sink
        self.keep = keep
        self._sunk = 0  # rows of _rows already handed to the sink
        self._chunk_values = CHUNK_ROWS * self.width
        self._row = _row_packer(self.fields, Struct(f"{self.width}d").pack, self._padding)

    def add(self, patient) -> None:
        rows = self._rows
        row = self._row  # a callable the instance holds: `self._row(...)` is a call 3.11 cannot specialise
        rows.frombytes(row(patient))
        if self.sink is not None and len(rows) - self._sunk * self.width >= self._chunk_values:
            self.flush()

    def flush(self) -> None:
        """Hand the rows not yet sunk to the sink (and forget them unless kept)."""
        if self.sink is None:
            return
        table = np.frombuffer(self._rows, dtype=np.float64).reshape(-1, self.width)[self._sunk:]
        if len(table):
            self.sink(self._columns(table))
        if self.keep:
            self._sunk = len(self._rows) // self.width
        else:
            del table
            self._rows = array("d")
            self._sunk = 0

    def __len__(self) -> int:
        return len(self._rows) // self.width

    def _columns(self, table: np.ndarray) -> dict[str, np.ndarray]:
        counts = self._counts
        fields = self.fields
        out = {name: table[:, j].astype(np.int_ if name in counts else np.float64) for j, name in enumerate(fields)}
        for i in range(self.n_phases):
            out[phase_start_column(i)] = table[:, len(fields) + i].copy()
        return out

    def to_numpy(self) -> dict[str, np.ndarray]:
        """The kept rows as columns (empty columns when rows were not kept)."""
        return self._columns(np.frombuffer(self._rows, dtype=np.float64).reshape(-1, self.width))
